"""ExpensiveDataset never runs its cpu_ops loop: the 'decoding' cost the benchmark asks for is missing."""
FILE = "exercise5_throughput.py"
REPLACE = [
    ("for k in range(self.cpu_ops):", "for k in range(0):"),
]
