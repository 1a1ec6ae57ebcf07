"""write_memmap turns the chunks into a list first: the whole data set is held in memory at once."""
FILE = "exercise5_throughput.py"
REPLACE = [
    ("for chunk in chunks:", "for chunk in list(chunks):"),
]
