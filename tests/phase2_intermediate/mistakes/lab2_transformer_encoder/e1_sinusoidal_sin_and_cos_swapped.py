"""sinusoidal_encoding puts cos in the even columns and sin in the odd ones: row 0 becomes [1, 0, 1, 0, ...], not the paper's table."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("    pe[:, 0::2] = torch.sin(angle)\n    pe[:, 1::2] = torch.cos(angle)\n",
     "    pe[:, 0::2] = torch.cos(angle)\n    pe[:, 1::2] = torch.sin(angle)\n"),
]
