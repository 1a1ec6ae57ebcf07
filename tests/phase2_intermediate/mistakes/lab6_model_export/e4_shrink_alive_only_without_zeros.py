"""A unit counted alive only when its whole row is nonzero: a row with a few zeros is cut out as if it were dead."""
FILE = "exercise4_compress.py"
REPLACE = [
    ("alive = ff1.weight.ne(0).any(dim=1)", "alive = ff1.weight.ne(0).all(dim=1)"),
]
