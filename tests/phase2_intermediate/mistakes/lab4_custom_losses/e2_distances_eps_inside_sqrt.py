"""Pairwise distances as sqrt(d^2 + eps) without putting the zeros back: the diagonal is sqrt(eps), not 0."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("return torch.sqrt(d2.clamp_min(eps)) * (~zero)", "return torch.sqrt(d2 + eps)"),
]
