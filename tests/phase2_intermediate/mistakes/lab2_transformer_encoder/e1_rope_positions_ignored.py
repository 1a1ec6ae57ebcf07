"""RoPE ignores the positions argument and rotates row t by t: new tokens after a KV cache are rotated as if they started at position 0."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("pos = torch.arange(t, dtype=torch.float64) if positions is None else positions.to(torch.float64)",
     "pos = torch.arange(t, dtype=torch.float64)"),
]
