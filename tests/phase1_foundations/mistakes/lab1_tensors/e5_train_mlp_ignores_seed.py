"""train_mlp always initialises with seed 0, whatever seed it is given."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('params = init_mlp(X.shape[1], hidden, int(y.max()) + 1, seed)',
     'params = init_mlp(X.shape[1], hidden, int(y.max()) + 1)'),
]
