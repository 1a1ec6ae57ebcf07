"""listnet_loss zeroes the padded terms but leaves the padding in both softmaxes: padded items still take probability mass."""
FILE = "exercise4_backward.py"
REPLACE = [
    ('''    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
        relevance = relevance.masked_fill(~mask, float("-inf"))
''', ""),
]
