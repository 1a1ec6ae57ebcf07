"""A class with zero samples accepted: its weight comes out infinite instead of a ValueError."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("if (n < 1).any():", "if (n < 0).any():"),
]
