"""Modulation table ratio FL / CE = (1 - p)^gamma instead of CE / FL, the factor the focal loss divides by."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("rows.append((p, ce, fl, ce / fl if fl > 0 else math.inf))", "rows.append((p, ce, fl, fl / ce))"),
]
