"""pairwise_distances computes in float32, so float64 inputs get float32 distances."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('return diff.pow(2).sum(dim=-1).sqrt()',
     'return diff.float().pow(2).sum(dim=-1).sqrt()'),
]
