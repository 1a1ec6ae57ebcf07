"""Post-norm decoder whose last block normalises before the feed-forward: x + ff(norm3(x)) instead of norm3(x + ff(x))."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("return self.norm3(x + ff(x))", "return x + ff(self.norm3(x))"),
]
