"""The bandwidth term without its factor 2: only the reduce-scatter phase's bytes counted, not the all-gather's."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("return 2 * (world_size - 1) * alpha + 2 * (world_size - 1) / world_size * n_bytes * beta",
     "return 2 * (world_size - 1) * alpha + (world_size - 1) / world_size * n_bytes * beta"),
]
