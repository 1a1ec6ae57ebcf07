"""sinusoidal_encoding uses w_i = base^(-i/d) with the pair index i: the exponent is 2i/d, so the slowest frequency is 1/sqrt(base) instead of about 1/base."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("angle = pos * base ** (-2.0 * i / d_model)", "angle = pos * base ** (-i / d_model)"),
]
