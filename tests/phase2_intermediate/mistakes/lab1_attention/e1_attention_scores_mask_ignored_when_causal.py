"""attention_scores applies attn_mask only when is_causal is False (if ... elif): given both, the padding mask is dropped."""
FILE = "exercise1_sdpa.py"
REPLACE = [
    ("""    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:""", """    elif attn_mask is not None:
        if attn_mask.dtype == torch.bool:"""),
]
