"""scaled_dot_product_attention takes the softmax over dim -2 (the queries): each key's weights sum to 1, not each query's."""
FILE = "exercise1_sdpa.py"
REPLACE = [
    ("weights = softmax(scores.masked_fill(all_masked, 0.0), dim=-1)", "weights = softmax(scores.masked_fill(all_masked, 0.0), dim=-2)"),
]
