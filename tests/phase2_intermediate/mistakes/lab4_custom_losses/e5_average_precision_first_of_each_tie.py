"""average_precision keeps the FIRST position of each run of tied scores: a threshold counts only part of its ties."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("last[:-1] = s[1:] != s[:-1]", "last[1:] = s[1:] != s[:-1]"),
]
