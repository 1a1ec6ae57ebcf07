"""Cross-attention with key and value swapped: the keys are projected from `value` and the values from `key`."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("k = F.linear(key, w_k, b_k)", "k = F.linear(value, w_k, b_k)"),
    ("v = F.linear(value, w_v, b_v)", "v = F.linear(key, w_v, b_v)"),
]
