"""Every micro-batch's backward communicates: the right gradients, but k times the all-reduce calls."""
FILE = "exercise3_data_parallel.py"
REPLACE = [
    ('context = model.no_sync() if (j < k - 1 and hasattr(model, "no_sync")) else contextlib.nullcontext()',
     "context = contextlib.nullcontext()"),
]
