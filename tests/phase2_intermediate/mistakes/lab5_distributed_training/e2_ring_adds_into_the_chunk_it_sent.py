"""The received chunk added into the chunk this rank just sent, not into the chunk that came in."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("flat[c:d] += incoming", "flat[a:a + (d - c)] += incoming"),
]
