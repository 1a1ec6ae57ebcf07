"""CausalSelfAttention uses is_causal for chunks of several tokens: top-left aligned, so a chunk after a filled cache hides cached keys it should see."""
FILE = "exercise5_gqa_kv_cache.py"
REPLACE = [
    ("out = grouped_query_attention(q, k, v, attn_mask=mask)", "out = grouped_query_attention(q, k, v, is_causal=t > 1)"),
]
