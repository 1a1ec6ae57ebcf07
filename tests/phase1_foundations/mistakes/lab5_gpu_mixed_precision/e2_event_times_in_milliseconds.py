"""cuda_event_times returns elapsed_time as it comes, in milliseconds, where the docstring asks for seconds."""
FILE = "exercise2_benchmarking.py"
REPLACE = [
    ("times.append(start.elapsed_time(end) / 1e3)", "times.append(start.elapsed_time(end))"),
]
