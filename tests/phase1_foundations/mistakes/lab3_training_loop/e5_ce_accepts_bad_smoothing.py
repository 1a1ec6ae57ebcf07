"""cross_entropy does not check label_smoothing: 1.5 gives negative target weights silently."""
FILE = 'exercise5_losses.py'
REPLACE = [
    ('    if not 0.0 <= label_smoothing <= 1.0:\n        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")\n',
     ''),
]
