"""merge_heads reshapes (B, H, T, D) straight to (B, T, H * D): without the transpose, it does not undo split_heads."""
FILE = "exercise2_multihead.py"
REPLACE = [
    ("return x.transpose(1, 2).reshape(b, t, h * d)", "return x.reshape(b, t, h * d)"),
]
