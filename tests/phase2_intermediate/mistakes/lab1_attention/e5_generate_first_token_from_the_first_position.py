"""generate with the cache takes the first new token from the prompt's first position (logits[:, 0]) instead of its last."""
FILE = "exercise5_gqa_kv_cache.py"
REPLACE = [
    ("nxt = logits[:, -1].argmax(dim=-1, keepdim=True)", "nxt = logits[:, 0].argmax(dim=-1, keepdim=True)"),
]
