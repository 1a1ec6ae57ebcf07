"""End test with > instead of >=: when the rows divide evenly, get_next() returns an empty batch before None."""
FILE = "exercise4_compress.py"
REPLACE = [
    ("if self.position >= len(self.data):", "if self.position > len(self.data):"),
]
