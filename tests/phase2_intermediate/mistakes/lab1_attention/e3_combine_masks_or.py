"""combine_masks ORs the masks: a position any one mask allows is attended, so padding and future keys leak in."""
FILE = "exercise3_masks.py"
REPLACE = [
    ("        out = m if out is None else out & m\n", "        out = m if out is None else out | m\n"),
]
