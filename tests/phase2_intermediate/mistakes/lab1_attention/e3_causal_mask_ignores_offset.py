"""causal_mask ignores offset: it is always top-left aligned, wrong for decoding with a cache."""
FILE = "exercise3_masks.py"
REPLACE = [
    ("    return j <= i + offset\n", "    return j <= i\n"),
]
