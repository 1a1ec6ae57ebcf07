"""top-p keeps a token only while the mass INCLUDING it is < p: the token that crosses p is dropped, so the kept mass falls short of p."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("kept = before < p", "kept = before + sorted_p < p\n    kept[..., 0] = True"),
]
