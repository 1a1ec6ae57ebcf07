"""luong_attention zeroes the padding after the softmax: the remaining weights sum to less than 1."""
FILE = "exercise5_lstm.py"
REPLACE = [
    ('        scores = scores.masked_fill(src_pad, float("-inf"))\n    weights = torch.softmax(scores, dim=-1)\n',
     '        pass\n    weights = torch.softmax(scores, dim=-1)\n    if src_pad is not None:\n        weights = weights.masked_fill(src_pad, 0.0)\n'),
]
