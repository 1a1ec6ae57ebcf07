"""get_batch returns y = x: the targets are not shifted by one, so the model learns to copy its input instead of predicting the next token."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("    y = data[ix[:, None] + offsets + 1]\n", "    y = data[ix[:, None] + offsets]\n"),
]
