"""rope_frequencies computes base^(-i/D): the exponent is -2i/D with i the pair index, so every frequency but the first is too high."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("return base ** (-2.0 * i / head_dim)", "return base ** (-i / head_dim)"),
]
