"""Value.backward runs the closures leaves first instead of from the output back."""
FILE = "exercise4_micrograd.py"
REPLACE = [
    ('for node in reversed(order):',
     'for node in order:'),
]
