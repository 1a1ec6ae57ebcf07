"""Value.__add__'s backward assigns the gradient instead of adding to it, so x + x gets 1 instead of 2."""
FILE = "exercise4_micrograd.py"
REPLACE = [
    ('            self.grad += out.grad\n            other.grad += out.grad\n',
     '            self.grad = out.grad\n            other.grad = out.grad\n'),
]
