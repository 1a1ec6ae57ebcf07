"""TextEncoder.forward checks the length only when it adds a table: positions="none" silently accepts T > max_len."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("if t > self.max_len:", "if t > self.max_len and self.pos_emb is not None:"),
]
