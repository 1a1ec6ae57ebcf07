"""Value.__mul__'s backward multiplies by its own value instead of the other factor's."""
FILE = "exercise4_micrograd.py"
REPLACE = [
    ('            self.grad += other.data * out.grad\n            other.grad += self.data * out.grad\n',
     '            self.grad += self.data * out.grad\n            other.grad += other.data * out.grad\n'),
]
