"""kv_cache_bytes leaves out the batch: every sequence being decoded has its own cache."""
FILE = "exercise5_gqa_kv_cache.py"
REPLACE = [
    ("return 2 * n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_element",
     "return 2 * n_layers * n_kv_heads * head_dim * seq_len * bytes_per_element"),
]
