"""fit_logistic_regression always uses a learning rate of 0.5, whatever lr it is given."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('        w = w - lr * dw\n        b = b - lr * db\n',
     '        w = w - 0.5 * dw\n        b = b - 0.5 * db\n'),
]
