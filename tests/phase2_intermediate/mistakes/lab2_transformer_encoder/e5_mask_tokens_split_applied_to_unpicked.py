"""mask_tokens applies the 80/10/10 split to every position: unpicked tokens are masked or replaced too, though their label is -100."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("inputs[picked & (u < 0.8)] = mask_token_id", "inputs[u < 0.8] = mask_token_id"),
    ("use_random = picked & (u >= 0.8) & (u < 0.9)", "use_random = (u >= 0.8) & (u < 0.9)"),
]
