"""average_precision steps through tied scores one example at a time: the result depends on the order of the ties."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("last[:-1] = s[1:] != s[:-1]", "last[:-1] = True"),
]
