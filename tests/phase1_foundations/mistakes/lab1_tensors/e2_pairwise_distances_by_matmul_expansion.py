"""pairwise_distances expands |x|^2 + |y|^2 - 2 x.y and clamps at 0: identical rows get small nonzero distances instead of exact 0."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('    diff = x[:, None, :] - y[None, :, :]  # (N, M, D)\n    return diff.pow(2).sum(dim=-1).sqrt()\n',
     '    sq = x.pow(2).sum(1)[:, None] + y.pow(2).sum(1)[None, :] - 2 * x @ y.T\n    return sq.clamp_min(0).sqrt()\n'),
]
