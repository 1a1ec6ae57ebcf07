"""sliding_window_mask keeps |i - j| < window: a local but not causal window that lets queries see future keys."""
FILE = "exercise3_masks.py"
REPLACE = [
    ("    return (d >= 0) & (d < window)\n", "    return d.abs() < window\n"),
]
