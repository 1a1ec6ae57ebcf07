"""Pairwise distances as sqrt(d^2) directly: sqrt'(0) = inf turns the gradient at coincident points into nan."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("return torch.sqrt(d2.clamp_min(eps)) * (~zero)", "return torch.sqrt(d2)"),
]
