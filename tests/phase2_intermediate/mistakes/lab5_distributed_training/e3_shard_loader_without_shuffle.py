"""shuffle=False: every rank reads the samples in the same fixed order, epoch after epoch."""
FILE = "exercise3_data_parallel.py"
REPLACE = [
    ("shuffle=True, seed=seed,", "shuffle=False, seed=seed,"),
]
