"""pad_to_multiple adds a whole block even when n is already a multiple: 4096 becomes 4104."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("return -(-n // multiple) * multiple", "return (n // multiple + 1) * multiple"),
]
