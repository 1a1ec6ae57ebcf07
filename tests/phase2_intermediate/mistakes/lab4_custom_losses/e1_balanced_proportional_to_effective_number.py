"""Weights proportional to E_n instead of 1 / E_n: the frequent classes get the large weights."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("w = 1.0 / effective", "w = effective"),
]
