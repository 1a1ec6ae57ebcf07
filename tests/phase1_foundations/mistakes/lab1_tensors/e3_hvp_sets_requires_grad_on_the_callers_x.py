"""hvp calls x.requires_grad_() on the caller's tensor instead of a fresh leaf copy, changing the input."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('x = x.detach().requires_grad_(True)',
     'x = x.requires_grad_(True) if x.is_leaf else x.detach().requires_grad_(True)'),
]
