"""All n % N leftover elements put in the last chunk: one chunk up to N-1 elements longer than the others."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("stop = start + base + (1 if i < extra else 0)", "stop = start + base + (extra if i == world_size - 1 else 0)"),
]
