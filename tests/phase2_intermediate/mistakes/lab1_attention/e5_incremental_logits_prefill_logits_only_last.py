"""incremental_logits keeps only the last prefill logit (what a server needs to sample): the prompt positions' logits are missing."""
FILE = "exercise5_gqa_kv_cache.py"
REPLACE = [
    ("outs = [model(tokens[:, :prefill], 0, caches)]", "outs = [model(tokens[:, :prefill], 0, caches)[:, -1:]]"),
]
