"""alibi_slopes counts h from 0: the first head gets slope 2^0 = 1 and the last 2^(-8(n-1)/n), not 2^(-8/n) .. 2^-8."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("return [2.0 ** (-8.0 * h / p) for h in range(1, p + 1)]", "return [2.0 ** (-8.0 * h / p) for h in range(p)]"),
]
