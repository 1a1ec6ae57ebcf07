"""The scale argument is ignored: the scores are always scaled by 1/sqrt(D)."""
FILE = "exercise1_sdpa.py"
REPLACE = [
    ("scale = 1.0 / math.sqrt(d) if scale is None else scale", "scale = 1.0 / math.sqrt(d)"),
]
