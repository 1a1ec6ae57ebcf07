"""fit_linear_regression's hand-derived gradient drops the 2 of d/dr r^2, so every step is half as long as gradient descent's."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('        loss = (X @ w + b - y).pow(2).mean()\n        loss.backward()\n        with torch.no_grad():\n            w -= lr * w.grad\n            b -= lr * b.grad\n        w.grad = None\n        b.grad = None',
     '        with torch.no_grad():\n            r = X @ w + b - y\n            w -= lr * (X.T @ r / len(y))\n            b -= lr * r.mean()'),
]
