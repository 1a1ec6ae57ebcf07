"""Ties between equally frequent pairs go to the lexicographically smaller pair (min instead of max)."""
FILE = "exercise4_bpe.py"
REPLACE = [
    ("best = max((p for p, c in counts.items() if c == top)", "best = min((p for p, c in counts.items() if c == top)"),
]
