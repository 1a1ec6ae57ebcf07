"""ema_update_ swaps the weights: t <- (1 - decay) t + decay o moves the target almost all the way to online."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('t.mul_(decay).add_(o, alpha=1.0 - decay)',
     't.mul_(1.0 - decay).add_(o, alpha=decay)'),
]
