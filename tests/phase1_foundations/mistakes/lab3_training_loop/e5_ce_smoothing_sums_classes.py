"""Label smoothing sums -log p over the classes instead of averaging: eps / C is applied as eps."""
FILE = 'exercise5_losses.py'
REPLACE = [
    ('smooth = -log_probs.mean(dim=1)',
     'smooth = -log_probs.sum(dim=1)'),
]
