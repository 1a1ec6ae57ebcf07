"""Each all-reduce waited on right after it is launched: async_op=True, but the calls still run one after another."""
FILE = "exercise1_collectives.py"
REPLACE = [
    ("""handles = [dist.all_reduce(t, op=dist.ReduceOp.SUM, async_op=True) for t in tensors]
    for handle in handles:
        handle.wait()""",
     """for t in tensors:
        handle = dist.all_reduce(t, op=dist.ReduceOp.SUM, async_op=True)
        handle.wait()"""),
]
