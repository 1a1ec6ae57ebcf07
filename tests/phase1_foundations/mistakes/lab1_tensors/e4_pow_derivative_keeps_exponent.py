"""Value.__pow__'s derivative is k * x**k instead of k * x**(k - 1)."""
FILE = "exercise4_micrograd.py"
REPLACE = [
    ('self.grad += k * self.data ** (k - 1) * out.grad',
     'self.grad += k * self.data ** k * out.grad'),
]
