"""RMSNorm always reduces over the last dim only: with normalized_shape = (3, 4) the mean of x^2 must run over the last two dims."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ("dims = tuple(range(-len(self.normalized_shape), 0))", "dims = (-1,)"),
]
