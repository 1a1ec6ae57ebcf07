"""measure_throughput records the time to the first batch of the last epoch, not of the first (when the workers start)."""
FILE = "exercise5_throughput.py"
REPLACE = [
    ("if epoch == 0 and i == 0:", "if epoch == epochs - 1 and i == 0:"),
]
