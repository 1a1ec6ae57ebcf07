"""The gathered tensors always concatenated along dim 0, whatever dim was asked for."""
FILE = "exercise1_collectives.py"
REPLACE = [
    ("return torch.cat(parts, dim=dim)", "return torch.cat(parts)"),
]
