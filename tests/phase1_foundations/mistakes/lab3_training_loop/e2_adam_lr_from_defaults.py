"""Adam reads lr from self.defaults: a scheduler's change and per-group learning rates are ignored."""
FILE = 'exercise2_optimizers.py'
REPLACE = [
    ('lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"]',
     'lr, (beta1, beta2), eps, weight_decay = self.defaults["lr"], group["betas"]'),
]
