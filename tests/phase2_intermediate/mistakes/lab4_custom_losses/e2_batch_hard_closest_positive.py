"""Batch-hard with the CLOSEST positive (min) instead of the farthest."""
FILE = "exercise2_metric.py"
REPLACE = [
    ('hardest_pos = d.masked_fill(~pos, float("-inf")).amax(dim=1)',
     'hardest_pos = d.masked_fill(~pos, float("inf")).amin(dim=1)'),
]
