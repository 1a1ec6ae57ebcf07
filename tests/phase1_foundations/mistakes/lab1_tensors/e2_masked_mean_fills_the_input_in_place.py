"""masked_mean zeroes the masked entries of x in place, changing the caller's tensor."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('total = torch.where(mask, x, torch.zeros_like(x)).sum(dim)',
     'total = x.masked_fill_(~mask, 0.0).sum(dim)'),
]
