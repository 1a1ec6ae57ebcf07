"""top-p keeps a token while the mass before it is <= p: when a cumulative sum equals p exactly, the next token (past p) is kept too."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("kept = before < p", "kept = before <= p"),
]
