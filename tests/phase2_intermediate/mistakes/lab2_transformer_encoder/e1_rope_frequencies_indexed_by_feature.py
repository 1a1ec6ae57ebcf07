"""rope_frequencies indexes theta by the feature index 2i and still doubles it: base^(-4i/D), the pairs rotate with the wrong frequencies."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("    i = torch.arange(head_dim // 2, dtype=torch.float64)\n    return base ** (-2.0 * i / head_dim)",
     "    i = torch.arange(0, head_dim, 2, dtype=torch.float64)\n    return base ** (-2.0 * i / head_dim)"),
]
