"""is_causal together with attn_mask is silently combined instead of raising ValueError."""
FILE = "exercise1_sdpa.py"
REPLACE = [
    ('''    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: pass attn_mask or is_causal=True, not both "
                         "(fold the causal mask into attn_mask)")
''', ""),
]
