"""Divides each metric's sum by the world size: a name only some ranks report comes out too small."""
FILE = "exercise5_restarts.py"
REPLACE = [
    ("{name: float(table[i, 0] / table[i, 1]) for i, name in enumerate(names)}",
     "{name: float(table[i, 0] / dist.get_world_size()) for i, name in enumerate(names)}"),
]
