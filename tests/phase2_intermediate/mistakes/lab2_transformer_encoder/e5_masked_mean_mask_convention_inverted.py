"""masked_mean reads padding_mask as True = keep: it averages the padding and drops the real tokens."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("keep = (~padding_mask).to(h.dtype).unsqueeze(-1)", "keep = padding_mask.to(h.dtype).unsqueeze(-1)"),
]
