"""float_format's smallest subnormal is off by one power of two (2^(-bias-m) instead of 2^(1-bias-m))."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ('"smallest_subnormal": 2.0 ** (1 - bias - mantissa_bits),', '"smallest_subnormal": 2.0 ** (-bias - mantissa_bits),'),
]
