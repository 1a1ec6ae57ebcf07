"""Blocking all-reduces one after another: right sums, but none overlaps with the next."""
FILE = "exercise1_collectives.py"
REPLACE = [
    ("""handles = [dist.all_reduce(t, op=dist.ReduceOp.SUM, async_op=True) for t in tensors]
    for handle in handles:
        handle.wait()""",
     """for t in tensors:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)"""),
]
