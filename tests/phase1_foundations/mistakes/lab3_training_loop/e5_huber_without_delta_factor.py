"""The linear branch of huber is |r| - delta/2 without the factor delta: right only for delta = 1."""
FILE = 'exercise5_losses.py'
REPLACE = [
    ('delta * (r - 0.5 * delta)',
     '(r - 0.5 * delta)'),
]
