"""all_reduce on t itself: the mean is right, but the caller's tensor now holds the sum."""
FILE = "exercise1_collectives.py"
REPLACE = [
    ("out = t.clone()", "out = t"),
]
