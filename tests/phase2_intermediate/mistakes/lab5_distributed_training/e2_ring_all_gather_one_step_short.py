"""The all-gather phase runs N-2 steps: every rank is left with one chunk that never received its sum."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("""    for step in range(world - 1):
        (a, b), (c, d) = bounds[(rank + 1 - step) % world], bounds[(rank - step) % world]""",
     """    for step in range(world - 2):
        (a, b), (c, d) = bounds[(rank + 1 - step) % world], bounds[(rank - step) % world]"""),
]
