"""write_memmap opens the file in append mode: writing into an existing file adds to its old contents."""
FILE = "exercise5_throughput.py"
REPLACE = [
    ('with open(path, "wb") as f:', 'with open(path, "ab") as f:'),
]
