"""Adam adds eps inside the square root of v_hat; the paper and torch add it to sqrt(v_hat)."""
FILE = 'exercise2_optimizers.py'
REPLACE = [
    ('denom = (exp_avg_sq.sqrt() / bias_correction2**0.5).add_(eps)',
     'denom = (exp_avg_sq / bias_correction2 + eps).sqrt()'),
]
