"""ema_update_ rebinds the list entries to new tensors instead of updating the target tensors in place."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('        for t, o in zip(target, online):\n            t.mul_(decay).add_(o, alpha=1.0 - decay)\n',
     '        for i, (t, o) in enumerate(zip(target, online)):\n            target[i] = decay * t + (1.0 - decay) * o\n'),
]
