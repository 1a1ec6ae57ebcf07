"""huber does not reject delta <= 0: a silently meaningless loss."""
FILE = 'exercise5_losses.py'
REPLACE = [
    ('    if delta <= 0:\n        raise ValueError(f"delta must be positive, got {delta}")\n',
     ''),
]
