"""No check of the first dimension: a tensor that does not cut into equal chunks reaches gloo, which aborts the process."""
FILE = "exercise1_collectives.py"
REPLACE = [
    ("    if t.shape[0] % world:\n        raise ValueError(", "    if False:\n        raise ValueError("),
]
