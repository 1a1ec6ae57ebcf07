"""Batch-hard with the FARTHEST negative (max) instead of the closest: the easiest negative, not the hardest."""
FILE = "exercise2_metric.py"
REPLACE = [
    ('hardest_neg = d.masked_fill(~neg, float("inf")).amin(dim=1)',
     'hardest_neg = d.masked_fill(~neg, float("-inf")).amax(dim=1)'),
]
