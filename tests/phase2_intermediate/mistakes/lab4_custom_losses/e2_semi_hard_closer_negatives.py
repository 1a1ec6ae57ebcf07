"""Semi-hard mining with < instead of >: it picks negatives CLOSER than the positive, the hardest ones."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("farther = neg[a] & (d_an > d[a, p][:, None])", "farther = neg[a] & (d_an < d[a, p][:, None])"),
]
