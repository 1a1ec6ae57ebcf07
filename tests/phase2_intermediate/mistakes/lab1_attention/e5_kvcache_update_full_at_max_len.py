"""KVCache.update refuses to fill the last slot: the overflow test is off by one (>= max_len instead of > max_len)."""
FILE = "exercise5_gqa_kv_cache.py"
REPLACE = [
    ("if end > self.max_len:", "if end >= self.max_len:"),
]
