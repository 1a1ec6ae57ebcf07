"""Contrastive loss without the 1/2 of Hadsell et al.'s formula: twice the loss and twice the gradient."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("loss = 0.5 * (s * d**2", "loss = (s * d**2"),
]
