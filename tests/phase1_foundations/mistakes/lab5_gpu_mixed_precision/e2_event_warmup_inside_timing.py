"""cuda_event_times records the start event once before the warm-up: every time includes the warm-up calls and all calls before it."""
FILE = "exercise2_benchmarking.py"
REPLACE = [
    ("""    make = torch.cuda.Event if event is None else event
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start, end = make(enable_timing=True), make(enable_timing=True)
        start.record()
        fn()""", """    make = torch.cuda.Event if event is None else event
    start = make(enable_timing=True)
    start.record()
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        end = make(enable_timing=True)
        fn()"""),
]
