"""A boolean attn_mask is applied with nn.MultiheadAttention's polarity (True = masked): F.sdpa's True means attend."""
FILE = "exercise1_sdpa.py"
REPLACE = [
    ('            scores = scores.masked_fill(~attn_mask, float("-inf"))', '            scores = scores.masked_fill(attn_mask, float("-inf"))'),
]
