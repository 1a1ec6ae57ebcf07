"""key_padding_mask read with F.sdpa's polarity (True = attend): nn.MultiheadAttention's True means "padding, ignore it"."""
FILE = "exercise2_multihead.py"
REPLACE = [
    ('                scores = scores.masked_fill(pad, float("-inf"))', '                scores = scores.masked_fill(~pad, float("-inf"))'),
]
