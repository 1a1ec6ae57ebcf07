"""torch.load with weights_only=False: a checkpoint file can run any code it names when loaded."""
FILE = "exercise5_restarts.py"
REPLACE = [
    ('torch.load(path, map_location="cpu", weights_only=True)', 'torch.load(path, map_location="cpu", weights_only=False)'),
]
