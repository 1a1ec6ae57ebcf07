"""Nesterov's g + mu * b is computed into p.grad in place: the gradient is changed behind the caller's back."""
FILE = 'exercise2_optimizers.py'
REPLACE = [
    ('d_p = d_p.add(buf, alpha=momentum) if nesterov else buf',
     'd_p = d_p.add_(buf, alpha=momentum) if nesterov else buf'),
]
