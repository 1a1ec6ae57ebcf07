"""swiglu_hidden_size rounds down to the multiple: LLaMA 7B would get 10752 hidden units instead of 11008."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ("return multiple_of * ((hidden + multiple_of - 1) // multiple_of)", "return multiple_of * (hidden // multiple_of)"),
]
