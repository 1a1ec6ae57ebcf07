"""masked_mean builds its weights as float32 whatever h is: a bfloat16 or float16 h comes back as float32."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("keep = (~padding_mask).to(h.dtype).unsqueeze(-1)", "keep = (~padding_mask).float().unsqueeze(-1)"),
]
