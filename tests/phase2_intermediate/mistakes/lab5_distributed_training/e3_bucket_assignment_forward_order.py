"""Buckets filled from the first parameter to the last: backward produces the last layer's gradients first, so the first bucket is ready last."""
FILE = "exercise3_data_parallel.py"
REPLACE = [
    ("for i in reversed(range(len(params))):", "for i in range(len(params)):"),
]
