"""The mean returned as the sum: dist.all_reduce adds, and the division by the world size is forgotten."""
FILE = "exercise1_collectives.py"
REPLACE = [
    ("return out / dist.get_world_size()", "return out"),
]
