"""split_heads reshapes (B, T, E) straight to (B, H, T, D): without the transpose, tokens are mixed into heads."""
FILE = "exercise2_multihead.py"
REPLACE = [
    ("return x.view(b, t, n_heads, e // n_heads).transpose(1, 2)", "return x.reshape(b, n_heads, t, e // n_heads)"),
]
