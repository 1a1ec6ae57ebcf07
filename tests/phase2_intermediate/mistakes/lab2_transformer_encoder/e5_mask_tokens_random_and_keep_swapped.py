"""mask_tokens swaps the random and keep branches: random ids for u >= 0.9 and unchanged for 0.8 <= u < 0.9, not what the documented draws give."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("use_random = picked & (u >= 0.8) & (u < 0.9)", "use_random = picked & (u >= 0.9)"),
]
