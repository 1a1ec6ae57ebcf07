"""alibi_slopes takes the 2p-head slopes at even h ([1::2]) for a head count that is not a power of 2: those are exactly the p slopes already used, repeated."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("slopes += power_of_two(2 * p)[0::2][: n_heads - p]", "slopes += power_of_two(2 * p)[1::2][: n_heads - p]"),
]
