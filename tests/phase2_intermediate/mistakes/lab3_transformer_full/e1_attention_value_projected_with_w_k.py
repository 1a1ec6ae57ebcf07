"""The values are projected with W_k and b_k (the middle block of in_proj_weight) instead of W_v."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("v = F.linear(value, w_v, b_v)", "v = F.linear(value, w_k, b_k)"),
]
