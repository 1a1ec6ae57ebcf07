"""A boolean attn_mask read with F.sdpa's polarity (True = attend): nn.MultiheadAttention's True means "not allowed"."""
FILE = "exercise2_multihead.py"
REPLACE = [
    ('                scores = scores.masked_fill(mask, float("-inf"))', '                scores = scores.masked_fill(~mask, float("-inf"))'),
]
