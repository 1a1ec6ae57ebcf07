"""RMSprop adds eps inside the square root (sqrt(v + eps)); torch adds it to sqrt(v)."""
FILE = 'exercise2_optimizers.py'
REPLACE = [
    ('avg = square_avg.sqrt().add_(eps)',
     'avg = square_avg.add(eps).sqrt()'),
]
