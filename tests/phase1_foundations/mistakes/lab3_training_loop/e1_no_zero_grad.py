"""Forgets optimizer.zero_grad(): each update adds the stale gradients of every earlier batch."""
FILE = 'exercise1_training_loop.py'
REPLACE = [
    ('        optimizer.zero_grad(set_to_none=True)\n',
     ''),
]
