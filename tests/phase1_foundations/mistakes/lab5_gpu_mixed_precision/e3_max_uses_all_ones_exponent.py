"""float_format's max uses the all-ones exponent (reserved for inf/NaN), so it is twice too large."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("        largest = (2.0 - 2.0**-mantissa_bits) * 2.0**bias", "        largest = (2.0 - 2.0**-mantissa_bits) * 2.0 ** (bias + 1)"),
]
