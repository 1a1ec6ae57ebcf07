"""Adam adds the L2 penalty into p.grad in place (add_): the caller's gradient changes."""
FILE = 'exercise2_optimizers.py'
REPLACE = [
    ('                        grad = grad.add(p, alpha=weight_decay)\n                exp_avg, exp_avg_sq',
     '                        grad = grad.add_(p, alpha=weight_decay)\n                exp_avg, exp_avg_sq'),
]
