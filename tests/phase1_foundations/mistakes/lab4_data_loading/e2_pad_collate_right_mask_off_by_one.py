"""pad_collate's mask uses <= instead of <: with right padding the first padded position is marked real."""
FILE = "exercise2_collation.py"
REPLACE = [
    ("mask = positions < lengths[:, None]", "mask = positions <= lengths[:, None]"),
]
