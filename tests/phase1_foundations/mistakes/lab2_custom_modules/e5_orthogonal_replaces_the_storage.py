"""orthogonal_ assigns tensor.data = Q instead of copying into the tensor: the Parameter gets new memory, so it is not filled in place."""
FILE = "exercise5_initialization.py"
REPLACE = [
    ("        tensor.view(rows, cols).copy_(q).mul_(gain)", "        tensor.data = (q * gain).reshape(tensor.shape)"),
]
