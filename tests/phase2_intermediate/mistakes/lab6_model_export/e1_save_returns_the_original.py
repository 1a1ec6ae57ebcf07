"""Saves the file but returns the module it was given: nothing proves the file loads, and the result changes with the original."""
FILE = "exercise1_torchscript.py"
REPLACE = [
    ('    return torch.jit.load(str(path), map_location="cpu")', "    return module"),
]
