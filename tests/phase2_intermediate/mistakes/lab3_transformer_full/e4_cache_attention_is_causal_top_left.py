"""Attention with a cache uses F.sdpa's is_causal=True: the mask is top-left aligned, so a new token at position t0 + i sees only keys 0 .. i."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p)",
     "out = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)"),
]
