"""sliding_window_mask keeps d <= window: each query sees window + 1 keys."""
FILE = "exercise3_masks.py"
REPLACE = [
    ("    return (d >= 0) & (d < window)\n", "    return (d >= 0) & (d <= window)\n"),
]
