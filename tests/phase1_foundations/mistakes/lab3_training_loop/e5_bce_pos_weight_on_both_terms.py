"""pos_weight multiplies the whole loss instead of only the positive term."""
FILE = 'exercise5_losses.py'
REPLACE = [
    ('loss = (1 - target) * logits + (1 + (pos_weight - 1) * target) * softplus_neg',
     'loss = pos_weight * ((1 - target) * logits + softplus_neg)'),
]
