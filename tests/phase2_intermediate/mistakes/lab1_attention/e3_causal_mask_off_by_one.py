"""causal_mask keeps j < i + offset: the diagonal is masked and query 0 sees nothing."""
FILE = "exercise3_masks.py"
REPLACE = [
    ("    return j <= i + offset\n", "    return j < i + offset\n"),
]
