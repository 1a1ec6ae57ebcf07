"""logistic_regression_grads sums the gradient over samples instead of averaging it."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('dz = (torch.sigmoid(z) - y) / X.shape[0]  # (N,)',
     'dz = torch.sigmoid(z) - y  # (N,)'),
]
