"""Keys are rotated after being appended, the whole cache by the new tokens' positions: a cached key is rotated by the wrong position (RoPE must be applied once, by its own position)."""
FILE = "exercise5_gqa_kv_cache.py"
REPLACE = [
    ("q, k = rope(q, positions), rope(k, positions)", "q = rope(q, positions)"),
    ("        t_k = k.size(2)\n", "        k = rope(k, positions)\n        t_k = k.size(2)\n"),
]
