"""The all-gather phase adds the received chunk instead of copying it: finished sums get the stale partial sums added again."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("flat[c:d] = incoming", "flat[c:d] += incoming"),
]
