"""mask_tokens masks when u < 0.9 (cumulative thresholds misread): 90 % [MASK], 10 % random, none kept unchanged."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("inputs[picked & (u < 0.8)] = mask_token_id", "inputs[picked & (u < 0.9)] = mask_token_id"),
    ("use_random = picked & (u >= 0.8) & (u < 0.9)", "use_random = picked & (u >= 0.9)"),
]
