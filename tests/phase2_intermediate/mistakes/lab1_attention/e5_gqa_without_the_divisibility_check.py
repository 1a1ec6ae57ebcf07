"""grouped_query_attention does not check that H_kv divides H: 8 query heads with 3 KV heads fail deep inside attention instead of a ValueError."""
FILE = "exercise5_gqa_kv_cache.py"
REPLACE = [
    ("if h_kv == 0 or h % h_kv:", "if h_kv == 0:"),
]
