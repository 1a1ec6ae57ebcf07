"""train_mlp shrinks the learning rate as training goes on (lr * 0.999**t): the first steps match gradient descent with the given lr, later ones do not."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('    for _ in range(steps):\n        loss, grads = mlp_forward_backward(X, y, params)\n        for name in params:\n            params[name] -= lr * grads[name]',
     '    for t in range(steps):\n        loss, grads = mlp_forward_backward(X, y, params)\n        for name in params:\n            params[name] -= lr * 0.999**t * grads[name]'),
]
