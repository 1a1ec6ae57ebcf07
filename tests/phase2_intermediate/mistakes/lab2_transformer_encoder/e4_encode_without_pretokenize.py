"""encode applies the merges to the whole text between special tokens instead of to each pre-token."""
FILE = "exercise4_bpe.py"
REPLACE = [
    ("                for pre in pretokenize(piece):\n", "                for pre in [piece]:\n"),
]
