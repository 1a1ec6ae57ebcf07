"""kv_cache_bytes counts one tensor per layer: the cache holds both K and V, a factor 2."""
FILE = "exercise5_gqa_kv_cache.py"
REPLACE = [
    ("return 2 * n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_element",
     "return n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_element"),
]
