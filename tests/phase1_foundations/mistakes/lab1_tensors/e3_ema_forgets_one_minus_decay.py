"""ema_update_ adds the whole online tensor instead of (1 - decay) times it."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('t.mul_(decay).add_(o, alpha=1.0 - decay)',
     't.mul_(decay).add_(o)'),
]
