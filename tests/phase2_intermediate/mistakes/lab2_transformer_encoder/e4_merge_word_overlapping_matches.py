"""merge_word steps one id after a match, so overlapping matches merge too: (1, 1, 1) with (1, 1) gives (9, 9, 1)."""
FILE = "exercise4_bpe.py"
REPLACE = [
    ("            out.append(new_id)\n            i += 2\n", "            out.append(new_id)\n            i += 1\n"),
]
