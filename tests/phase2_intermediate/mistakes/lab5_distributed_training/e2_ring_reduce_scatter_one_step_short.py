"""The reduce-scatter phase runs N-2 steps: the chunk a rank then passes on is missing one rank's contribution."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("""    for step in range(world - 1):
        (a, b), (c, d) = bounds[(rank - step) % world], bounds[(rank - step - 1) % world]""",
     """    for step in range(world - 2):
        (a, b), (c, d) = bounds[(rank - step) % world], bounds[(rank - step - 1) % world]"""),
]
