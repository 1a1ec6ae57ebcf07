"""Semi-hard fallback to the closest negative instead of the farthest when no negative is farther than the positive."""
FILE = "exercise2_metric.py"
REPLACE = [
    ('farthest = d_an.masked_fill(~neg[a], float("-inf")).argmax(dim=1)',
     'farthest = d_an.masked_fill(~neg[a], float("inf")).argmin(dim=1)'),
]
