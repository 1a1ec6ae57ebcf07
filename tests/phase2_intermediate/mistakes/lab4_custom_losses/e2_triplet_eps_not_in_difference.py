"""Triplet distance ||x - y||_p without eps added to the difference: d(a, a) = 0 and its gradient is nan."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("return (x - y + eps).abs().pow(p).sum(dim=-1).pow(1.0 / p)", "return (x - y).abs().pow(p).sum(dim=-1).pow(1.0 / p)"),
]
