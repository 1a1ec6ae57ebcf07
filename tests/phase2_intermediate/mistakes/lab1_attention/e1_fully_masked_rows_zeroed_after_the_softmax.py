"""Fully masked rows are zeroed after a softmax of -inf: the forward is right, but NaN flows into the gradient."""
FILE = "exercise1_sdpa.py"
REPLACE = [
    ("weights = softmax(scores.masked_fill(all_masked, 0.0), dim=-1).masked_fill(all_masked, 0.0)",
     "weights = softmax(scores, dim=-1).masked_fill(all_masked, 0.0)"),
]
