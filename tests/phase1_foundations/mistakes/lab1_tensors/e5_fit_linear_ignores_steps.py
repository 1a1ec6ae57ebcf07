"""fit_linear_regression always runs 500 steps, whatever steps it is given."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('    for _ in range(steps):\n        loss = (X @ w + b - y).pow(2).mean()\n',
     '    for _ in range(500):\n        loss = (X @ w + b - y).pow(2).mean()\n'),
]
