"""The causal mask of the new queries is aligned top-left (query i sees keys j <= i): a decoded token sees only the first cached key, not the whole past."""
FILE = "exercise5_gqa_kv_cache.py"
REPLACE = [
    ("i = torch.arange(t, device=x.device).unsqueeze(1) + (t_k - t)", "i = torch.arange(t, device=x.device).unsqueeze(1)"),
]
