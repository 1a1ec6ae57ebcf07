"""tensor_core_friendly asks for multiples of 8 elements whatever the dtype; the rule is 16 bytes (4 float32 elements, 16 int8 or float8 ones)."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("per_16_bytes = max(1, 16 // dtype.itemsize)", "per_16_bytes = 8"),
]
