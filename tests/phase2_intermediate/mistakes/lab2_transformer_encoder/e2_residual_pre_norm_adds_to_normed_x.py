"""Pre-norm written as norm(x) + sublayer(norm(x)): the residual adds to x itself, so the identity path from input to output is lost."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ("        return x + sublayer(norm(x))\n", "        h = norm(x)\n        return h + sublayer(h)\n"),
]
