"""Positive mask without a != p: each sample counts as its own positive."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("return same & ~eye, ~same", "return same, ~same"),
]
