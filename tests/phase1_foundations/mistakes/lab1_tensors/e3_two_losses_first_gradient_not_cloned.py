"""grads_of_two_losses keeps w.grad itself as the first gradient and zeroes it in place, which wipes the first result."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('    g1 = w.grad.clone()\n    w.grad = None\n',
     '    g1 = w.grad\n    w.grad.zero_()\n'),
]
