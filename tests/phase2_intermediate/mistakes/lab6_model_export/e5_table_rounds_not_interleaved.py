"""All rounds of one variant before the next variant: a slow spell of the machine lands on one variant only."""
FILE = "exercise5_benchmark.py"
REPLACE = [
    ("    for _ in range(runs):\n        for variant in variants:\n            for batch in batch_sizes:\n",
     "    for variant in variants:\n        for _ in range(runs):\n            for batch in batch_sizes:\n"),
]
