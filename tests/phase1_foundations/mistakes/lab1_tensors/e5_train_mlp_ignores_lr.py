"""train_mlp always uses its default learning rate 0.5, whatever lr it is given."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('params[name] -= lr * grads[name]',
     'params[name] -= 0.5 * grads[name]'),
]
