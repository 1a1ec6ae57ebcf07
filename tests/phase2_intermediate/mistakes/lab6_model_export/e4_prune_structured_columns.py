"""Structured pruning along dim=1: it zeroes input columns, not the output rows (units) that can be cut out."""
FILE = "exercise4_compress.py"
REPLACE = [
    ('prune.ln_structured(module, "weight", amount=amount, n=2, dim=0)',
     'prune.ln_structured(module, "weight", amount=amount, n=2, dim=1)'),
]
