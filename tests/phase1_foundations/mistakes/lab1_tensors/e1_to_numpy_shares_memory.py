"""to_numpy_copy returns .numpy() of a CPU tensor without copying, so the array shares the tensor's memory."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('return t.detach().cpu().numpy().copy()',
     'return t.detach().cpu().numpy()'),
]
