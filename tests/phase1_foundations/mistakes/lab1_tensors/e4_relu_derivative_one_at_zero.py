"""Value.relu's derivative is 1 at exactly 0; PyTorch (and the docstring) use 0."""
FILE = "exercise4_micrograd.py"
REPLACE = [
    ('self.grad += (1.0 if self.data > 0 else 0.0) * out.grad',
     'self.grad += (1.0 if self.data >= 0 else 0.0) * out.grad'),
]
