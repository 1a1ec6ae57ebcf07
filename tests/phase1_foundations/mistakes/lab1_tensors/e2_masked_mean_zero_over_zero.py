"""masked_mean divides by the count without guarding it, so a row with nothing selected gives 0 / 0 = NaN."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('count = mask.sum(dim).clamp_min(1).to(x.dtype)',
     'count = mask.sum(dim).to(x.dtype)'),
]
