"""Semi-hard window d(a, n) > d(a, p) - margin: it admits negatives closer than the positive."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("farther = neg[a] & (d_an > d[a, p][:, None])", "farther = neg[a] & (d_an > d[a, p][:, None] - 0.2)"),
]
