"""Class-balanced weights 1 / E_n left unnormalised: they do not sum to the number of classes."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("return w * len(n) / w.sum()", "return w"),
]
