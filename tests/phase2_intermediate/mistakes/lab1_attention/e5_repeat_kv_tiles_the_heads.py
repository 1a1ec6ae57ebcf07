"""repeat_kv tiles the heads (Tensor.repeat: 0,1,0,1,...) instead of repeating each in place (0,0,1,1,...): query heads read the wrong key/value head."""
FILE = "exercise5_gqa_kv_cache.py"
REPLACE = [
    ("return x[:, :, None].expand(b, h_kv, n_rep, t, d).reshape(b, h_kv * n_rep, t, d)", "return x.repeat(1, n_rep, 1, 1)"),
]
