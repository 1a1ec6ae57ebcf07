"""A query row whose keys are all masked is left to the softmax: 0/0 gives NaN where F.sdpa returns zeros."""
FILE = "exercise1_sdpa.py"
REPLACE = [
    ("weights = softmax(scores.masked_fill(all_masked, 0.0), dim=-1).masked_fill(all_masked, 0.0)", "weights = softmax(scores, dim=-1)"),
]
