"""evaluate forgets model.eval(): dropout is on and batch-norm statistics move during validation."""
FILE = 'exercise1_training_loop.py'
REPLACE = [
    ('    model.eval()\n    sums =',
     '    sums ='),
]
