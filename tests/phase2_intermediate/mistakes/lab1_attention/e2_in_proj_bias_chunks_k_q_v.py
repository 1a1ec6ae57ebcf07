"""in_proj_bias split in the order k, q, v: its thirds are b_q, b_k, b_v, like the weight's row blocks."""
FILE = "exercise2_multihead.py"
REPLACE = [
    ("b_q, b_k, b_v = self.in_proj_bias.split(e)", "b_k, b_q, b_v = self.in_proj_bias.split(e)"),
]
