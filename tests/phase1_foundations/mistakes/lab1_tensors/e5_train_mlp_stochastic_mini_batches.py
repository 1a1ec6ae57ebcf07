"""train_mlp steps on random mini-batches of 32 samples instead of the full batch: it still learns the spirals, but it is not the full-batch gradient descent asked for."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('        loss, grads = mlp_forward_backward(X, y, params)\n        for name in params:',
     '        batch = torch.randperm(X.shape[0])[:32]\n        loss, grads = mlp_forward_backward(X[batch], y[batch], params)\n        for name in params:'),
]
