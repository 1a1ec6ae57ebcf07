"""swiglu_hidden_size applies ffn_dim_multiplier after rounding: it scales a size that was already rounded, so the result is no longer a multiple of multiple_of (Llama-2-70B: 31948, not 28672)."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ("""    hidden = int(2 * (4 * d_model) / 3)
    if ffn_dim_multiplier is not None:
        hidden = int(ffn_dim_multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)""",
     """    hidden = int(2 * (4 * d_model) / 3)
    hidden = multiple_of * ((hidden + multiple_of - 1) // multiple_of)
    if ffn_dim_multiplier is not None:
        hidden = int(ffn_dim_multiplier * hidden)
    return hidden"""),
]
