"""The formula 2 (N-1) n / N rounded down for every rank: exact only when N divides n."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("""    bounds = chunk_bounds(n, world_size)
    sent = 0
    for step in range(world_size - 1):
        a, b = bounds[(rank - step) % world_size]
        c, d = bounds[(rank + 1 - step) % world_size]
        sent += (b - a) + (d - c)
    return sent""",
     """    return 2 * (world_size - 1) * n // world_size"""),
]
