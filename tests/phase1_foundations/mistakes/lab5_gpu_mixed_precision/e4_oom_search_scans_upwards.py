"""largest_batch_that_fits tries lo, lo + 1, lo + 2, ...: the right answer after hundreds of out-of-memory errors instead of a dozen."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("mid = (fits + fails) // 2", "mid = fits + 1"),
]
