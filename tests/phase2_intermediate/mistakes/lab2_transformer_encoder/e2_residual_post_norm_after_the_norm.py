"""Post-norm written as x + norm(sublayer(x)): the norm must wrap the sum, norm(x + sublayer(x)), so that the residual stream itself is normalised."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ("return norm(x + sublayer(x))", "return x + norm(sublayer(x))"),
]
