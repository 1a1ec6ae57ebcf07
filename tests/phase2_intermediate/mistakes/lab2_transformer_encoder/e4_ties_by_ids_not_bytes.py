"""Ties compared on the ids (a, b) instead of the bytes (vocab[a], vocab[b]): a merged token (id >= 256) always wins."""
FILE = "exercise4_bpe.py"
REPLACE = [
    ("key=lambda p: (vocab[p[0]], vocab[p[1]])", "key=lambda p: p"),
]
