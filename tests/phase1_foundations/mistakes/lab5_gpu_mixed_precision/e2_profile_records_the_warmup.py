"""profile_top_ops runs the warm-up calls inside the profiler, so one-off first-call work is reported as if every call paid it."""
FILE = "exercise2_benchmarking.py"
REPLACE = [
    ("    for _ in range(warmup):\n        fn()\n    activities = [ProfilerActivity.CPU]", "    activities = [ProfilerActivity.CPU]"),
    ("        for _ in range(repeat):\n            fn()\n        if torch.cuda.is_available():", "        for _ in range(warmup + repeat):\n            fn()\n        if torch.cuda.is_available():"),
]
