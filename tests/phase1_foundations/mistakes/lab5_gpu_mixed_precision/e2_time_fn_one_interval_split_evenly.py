"""time_fn times all repeats as one interval and reports its average for every call: the per-call spread is lost."""
FILE = "exercise2_benchmarking.py"
REPLACE = [
    ("""    times = []
    for _ in range(repeat):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return times""", """    sync()
    start = time.perf_counter()
    for _ in range(repeat):
        sync()
        fn()
        sync()
    return [(time.perf_counter() - start) / repeat] * repeat"""),
]
