"""accumulated_gradients loops over whole micro-batches only, silently dropping the smaller last one."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("for start in range(0, n_total, micro_batch):", "for start in range(0, n_total - micro_batch + 1, micro_batch):"),
]
