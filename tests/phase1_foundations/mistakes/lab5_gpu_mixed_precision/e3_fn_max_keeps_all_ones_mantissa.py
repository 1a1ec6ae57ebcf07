"""float_format(finite_only=True) lets the all-ones exponent keep the all-ones mantissa, which is the NaN: float8_e4m3fn's max comes out 480, not 448."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("largest = (2.0 - 2.0 ** (1 - mantissa_bits)) * 2.0 ** (bias + 1)", "largest = (2.0 - 2.0**-mantissa_bits) * 2.0 ** (bias + 1)"),
]
