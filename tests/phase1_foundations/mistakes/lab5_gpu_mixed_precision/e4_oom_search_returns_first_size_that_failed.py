"""largest_batch_that_fits returns the smallest size that failed, one more than the largest that fits."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("    return fits\n", "    return fails\n"),
]
