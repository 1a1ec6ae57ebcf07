"""grouped_query_attention hands the grouping to F.sdpa(enable_gqa=True) instead of doing it: right numbers, but not the exercise."""
FILE = "exercise5_gqa_kv_cache.py"
REPLACE = [
    ("    k, v = repeat_kv(k, h // h_kv), repeat_kv(v, h // h_kv)\n    return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal)",
     "    return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal, enable_gqa=True)"),
]
