"""Each rank shuffles with its own seed (seed + rank): the ranks' shards come from different permutations, so they overlap and miss samples."""
FILE = "exercise3_data_parallel.py"
REPLACE = [
    ("shuffle=True, seed=seed,", "shuffle=True, seed=seed + rank,"),
]
