"""The all-gather phase counted with the reduce-scatter phase's chunks: wrong for ranks whose two phases send chunks of different lengths."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("c, d = bounds[(rank + 1 - step) % world_size]", "c, d = bounds[(rank - step) % world_size]"),
]
