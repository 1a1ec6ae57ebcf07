"""The latency counted once per phase (2 alpha) instead of once per step (2 (N-1) alpha)."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("return 2 * (world_size - 1) * alpha + 2 * (world_size - 1) / world_size * n_bytes * beta",
     "return 2 * alpha + 2 * (world_size - 1) / world_size * n_bytes * beta"),
]
