"""fit_linear_regression returns the parameters still requiring grad instead of detached tensors."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('    return w.detach(), b.detach()\n',
     '    return w, b\n'),
]
