"""The padded tensors returned as gathered: every rank's entry has the longest rank's rows, zeros at the end."""
FILE = "exercise1_collectives.py"
REPLACE = [
    ("return [part[: int(n)] for part, n in zip(parts, lengths)]", "return parts"),
]
