"""Warm-up repeated before every run: fn is called runs * (warmup + iters) times, not warmup + runs * iters."""
FILE = "exercise5_benchmark.py"
REPLACE = [
    ("    for _ in range(warmup):\n        fn()\n", ""),
    ("        times = np.empty(iters)\n", "        for _ in range(warmup):\n            fn()\n        times = np.empty(iters)\n"),
]
