"""rotate_half returns (x2, -x1) instead of (-x2, x1): apply_rope_half then rotates every pair the wrong way."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("return torch.cat((-x[..., h:], x[..., :h]), dim=-1)", "return torch.cat((x[..., h:], -x[..., :h]), dim=-1)"),
]
