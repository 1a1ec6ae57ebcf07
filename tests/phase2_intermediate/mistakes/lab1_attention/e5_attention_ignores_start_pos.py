"""The new tokens are rotated as if they stood at positions 0..T-1, ignoring start_pos: every decoded token gets position 0."""
FILE = "exercise5_gqa_kv_cache.py"
REPLACE = [
    ("positions = torch.arange(start_pos, start_pos + t, device=x.device)", "positions = torch.arange(t, device=x.device)"),
]
