"""No warm-up: the first, slow calls of a runtime (lazy set-up, allocation) are timed and land in p99."""
FILE = "exercise5_benchmark.py"
REPLACE = [
    ("    for _ in range(warmup):\n        fn()\n", ""),
]
