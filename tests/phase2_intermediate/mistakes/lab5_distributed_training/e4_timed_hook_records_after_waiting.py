"""The launch time is recorded once the all-reduce is done (after waiting on it): it measures when the bucket arrived, not when it was sent."""
FILE = "exercise4_ddp.py"
REPLACE = [
    ("    launches.append((bucket.index(), time.perf_counter(), buffer.numel()))\n", ""),
    ("    fut = dist.all_reduce(buffer, async_op=True).get_future()\n    return fut.then(lambda done: done.value()[0])",
     "    fut = dist.all_reduce(buffer, async_op=True).get_future()\n    fut.wait()\n"
     "    launches.append((bucket.index(), time.perf_counter(), buffer.numel()))\n    return fut.then(lambda done: done.value()[0])"),
]
