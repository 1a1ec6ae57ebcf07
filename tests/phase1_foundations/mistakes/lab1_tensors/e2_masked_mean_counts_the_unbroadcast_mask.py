"""masked_mean counts selected entries on the mask before broadcasting, so a (N, 1) mask counts 1 per row."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('    mask = mask.expand_as(x)\n    total = torch.where(mask, x, torch.zeros_like(x)).sum(dim)\n    count = mask.sum(dim)',
     '    total = torch.where(mask, x, torch.zeros_like(x)).sum(dim)\n    count = mask.sum(dim)'),
]
