"""ExpensiveDataset only checks index < n: a negative index returns a sample instead of raising IndexError."""
FILE = "exercise5_throughput.py"
REPLACE = [
    ("if not 0 <= index < self.n:", "if index >= self.n:"),
]
