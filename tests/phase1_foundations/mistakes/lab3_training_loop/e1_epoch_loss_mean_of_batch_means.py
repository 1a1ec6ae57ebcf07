"""Epoch loss is the plain mean of batch means: a short last batch counts as much as a full one."""
FILE = 'exercise1_training_loop.py'
REPLACE = [
    ('        total += loss.item() * n\n        count += n\n    return total / max(count, 1)',
     '        total += loss.item()\n        count += 1\n    return total / max(count, 1)'),
]
