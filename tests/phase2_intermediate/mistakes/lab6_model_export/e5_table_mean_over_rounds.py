"""p50 and p99 averaged over the rounds instead of their median: one slow round moves the table."""
FILE = "exercise5_benchmark.py"
REPLACE = [
    ('"p50_ms": float(np.median([r["p50"] for r in runs_of])),', '"p50_ms": float(np.mean([r["p50"] for r in runs_of])),'),
    ('"p99_ms": float(np.median([r["p99"] for r in runs_of])),', '"p99_ms": float(np.mean([r["p99"] for r in runs_of])),'),
]
