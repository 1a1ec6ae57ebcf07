"""sinusoidal_encoding computes the angles in float32: at position 10,000 the angle pos * w_i keeps about 3 decimals and the table is off by ~1e-3."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("pos = torch.arange(max_len, dtype=torch.float64)[:, None]", "pos = torch.arange(max_len, dtype=torch.float32)[:, None]"),
    ("i = torch.arange(d_model // 2, dtype=torch.float64)[None, :]", "i = torch.arange(d_model // 2, dtype=torch.float32)[None, :]"),
    ("pe = torch.empty(max_len, d_model, dtype=torch.float64)", "pe = torch.empty(max_len, d_model, dtype=torch.float32)"),
]
