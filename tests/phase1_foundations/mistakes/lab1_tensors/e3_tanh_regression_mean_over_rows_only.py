"""tanh_regression_grads divides by N instead of N * K, the number of entries the mean runs over."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('dz = 2.0 * r / r.numel() * (1.0 - a * a)',
     'dz = 2.0 * r / r.shape[0] * (1.0 - a * a)'),
]
