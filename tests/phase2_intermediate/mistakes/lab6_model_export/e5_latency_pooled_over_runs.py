"""Percentiles of all runs' times pooled together: one slow run is no longer outvoted by the others."""
FILE = "exercise5_benchmark.py"
REPLACE = [
    ("    p50s, p99s = [], []\n", "    p50s, p99s = [], []\n    pooled = []\n"),
    ("        p50, p99 = np.percentile(times * 1e3, [50, 99])\n", "        pooled.extend(times * 1e3)\n        p50, p99 = np.percentile(pooled, [50, 99])\n"),
    ('    return {"p50": float(np.median(p50s)), "p99": float(np.median(p99s))}', '    return {"p50": float(p50s[-1]), "p99": float(p99s[-1])}'),
]
