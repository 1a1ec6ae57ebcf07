"""fit_linear_regression starts from random weights instead of w = 0, b = 0."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('w = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device, requires_grad=True)',
     'w = torch.randn(X.shape[1], dtype=X.dtype, device=X.device).requires_grad_(True)'),
]
