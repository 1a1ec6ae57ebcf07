"""SGD adds the weight decay into p.grad in place (add_): the caller's gradient changes, which the docstring forbids."""
FILE = 'exercise2_optimizers.py'
REPLACE = [
    ('                d_p = p.grad\n                if weight_decay != 0:\n                    d_p = d_p.add(p, alpha=weight_decay)',
     '                d_p = p.grad\n                if weight_decay != 0:\n                    d_p = d_p.add_(p, alpha=weight_decay)'),
]
