"""The whole run timed at once and divided by iters: every call gets the mean, so p99 == p50 and the tail is gone."""
FILE = "exercise5_benchmark.py"
REPLACE = [
    ("""        for i in range(iters):
            start = time.perf_counter()
            fn()
            times[i] = time.perf_counter() - start
""", """        start = time.perf_counter()
        for i in range(iters):
            fn()
        times[:] = (time.perf_counter() - start) / iters
"""),
]
