"""clip_grad_norm keeps the gradients as a generator: the norm consumes it and nothing gets scaled."""
FILE = 'exercise4_healthy_training.py'
REPLACE = [
    ('grads = [p.grad for p in parameters if p.grad is not None]',
     'grads = (p.grad for p in parameters if p.grad is not None)'),
]
