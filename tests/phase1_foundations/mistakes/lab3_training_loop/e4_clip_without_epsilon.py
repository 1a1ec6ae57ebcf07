"""clip_grad_norm divides by the norm without the + 1e-6: tiny gradients are scaled differently from torch."""
FILE = 'exercise4_healthy_training.py'
REPLACE = [
    ('coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)',
     'coef = torch.clamp(max_norm / total, max=1.0)'),
]
