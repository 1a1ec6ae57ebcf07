"""load_checkpoint ignores map_location: a checkpoint written on a GPU fails to load on a CPU-only machine."""
FILE = 'exercise4_healthy_training.py'
REPLACE = [
    ('ckpt = torch.load(path, map_location=map_location, weights_only=True)',
     'ckpt = torch.load(path, weights_only=True)'),
]
