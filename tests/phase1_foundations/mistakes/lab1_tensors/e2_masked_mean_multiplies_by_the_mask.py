"""masked_mean uses x * mask, so inf * 0 = NaN leaks out of masked entries."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('total = torch.where(mask, x, torch.zeros_like(x)).sum(dim)',
     'total = (x * mask).sum(dim)'),
]
