"""The trainer counts each whole piece as one word instead of its pre-tokens, so merges cross pre-token boundaries (b"e t", b".\\n")."""
FILE = "exercise4_bpe.py"
REPLACE = [
    ('word_counts.update(pre.encode("utf-8") for pre in pretokenize(piece))', 'word_counts.update([piece.encode("utf-8")])'),
]
