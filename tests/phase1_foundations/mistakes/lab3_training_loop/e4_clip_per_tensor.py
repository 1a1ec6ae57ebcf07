"""Clips each gradient by its own norm instead of the global norm of all gradients together."""
FILE = 'exercise4_healthy_training.py'
REPLACE = [
    ('    for g in grads:\n        g.detach().mul_(coef.to(g.device, g.dtype))',
     '    for g, n in zip(grads, per_tensor):\n        g.detach().mul_(torch.clamp(max_norm / (n + 1e-6), max=1.0).to(g.device, g.dtype))'),
]
