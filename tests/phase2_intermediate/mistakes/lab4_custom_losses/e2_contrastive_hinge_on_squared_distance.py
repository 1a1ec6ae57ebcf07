"""Contrastive hinge on the squared distance, max(0, margin - d^2), instead of max(0, margin - d)^2."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("(1 - s) * torch.clamp(margin - d, min=0.0) ** 2)", "(1 - s) * torch.clamp(margin - d**2, min=0.0))"),
]
