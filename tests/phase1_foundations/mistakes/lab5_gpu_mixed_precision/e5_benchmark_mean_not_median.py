"""compile_benchmark summarises the timed calls with the mean: one slow call moves eager_s, compiled_s and the speed-up."""
FILE = "exercise5_compile.py"
REPLACE = [
    ("        return statistics.median(times)", "        return statistics.mean(times)"),
]
