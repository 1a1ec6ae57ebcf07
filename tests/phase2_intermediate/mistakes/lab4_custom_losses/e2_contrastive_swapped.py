"""Similar and dissimilar pairs swapped: similar pairs are pushed apart and dissimilar ones pulled together."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("s = similar.to(x1.dtype)", "s = (~similar).to(x1.dtype)"),
]
