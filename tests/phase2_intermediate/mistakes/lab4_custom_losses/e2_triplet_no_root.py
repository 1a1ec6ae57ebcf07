"""Triplet distance without the 1/p root: the p-th power of the norm, not the norm."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("return (x - y + eps).abs().pow(p).sum(dim=-1).pow(1.0 / p)", "return (x - y + eps).abs().pow(p).sum(dim=-1)"),
]
