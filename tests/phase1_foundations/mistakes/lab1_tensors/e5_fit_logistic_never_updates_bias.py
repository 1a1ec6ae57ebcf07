"""fit_logistic_regression updates w but never b, so the boundary must pass through the origin."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('        b = b - lr * db\n',
     ''),
]
