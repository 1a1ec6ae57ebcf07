"""top-p with p = 1 goes through the cumulative sum: the float mass before a token of probability 1e-35 is already 1.0, so that token is dropped."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("""    if p == 1.0:  # the mass before a tiny last token can round to 1.0: keep every token outright
        return logits.clone()
""", ""),
]
