"""The n % N extra elements given to the LAST chunks: not torch.tensor_split's cut, so ranks disagree with it on chunk edges."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("stop = start + base + (1 if i < extra else 0)", "stop = start + base + (1 if i >= world_size - extra else 0)"),
]
