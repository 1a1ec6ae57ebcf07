"""The returned weights are summed over the heads, not averaged: the rows sum to H instead of 1."""
FILE = "exercise2_multihead.py"
REPLACE = [
    ("return out, (weights.mean(dim=1) if average_attn_weights else weights)", "return out, (weights.sum(dim=1) if average_attn_weights else weights)"),
]
