"""Dropout zeroes weights but does not scale the kept ones by 1/(1 - p): the expected output shrinks by (1 - p)."""
FILE = "exercise1_sdpa.py"
REPLACE = [
    ("weights = weights * keep / (1.0 - dropout_p)", "weights = weights * keep"),
]
