"""KVCache.update returns copies of the filled prefix: each decode step copies the whole cache (O(T) per token) instead of viewing it."""
FILE = "exercise5_gqa_kv_cache.py"
REPLACE = [
    ("return self.k[:, :, :end], self.v[:, :, :end]", "return self.k[:, :, :end].clone(), self.v[:, :, :end].clone()"),
]
