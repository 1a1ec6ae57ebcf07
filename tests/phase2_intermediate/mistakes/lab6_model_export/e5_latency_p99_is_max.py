"""p99 taken as the slowest call of each run, not numpy.percentile's interpolated 99th percentile."""
FILE = "exercise5_benchmark.py"
REPLACE = [
    ("        p50, p99 = np.percentile(times * 1e3, [50, 99])\n", "        p50, p99 = np.percentile(times * 1e3, 50), times.max() * 1e3\n"),
]
