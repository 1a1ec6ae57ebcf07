"""tanh_regression_grads averages dloss/db over the batch instead of summing it (the 1/(N K) is already in dz)."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('return loss, x.T @ dz, dz.sum(dim=0)',
     'return loss, x.T @ dz, dz.mean(dim=0)'),
]
