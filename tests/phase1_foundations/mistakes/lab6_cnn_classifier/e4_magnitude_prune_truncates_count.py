"""magnitude_prune truncates amount * total with int() instead of rounding it, pruning one weight too few for some amounts."""
FILE = "exercise4_surgery.py"
REPLACE = [
    ("k = int(round(amount * scores.numel()))", "k = int(amount * scores.numel())"),
]
