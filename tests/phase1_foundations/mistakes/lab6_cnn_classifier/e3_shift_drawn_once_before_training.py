"""train_classifier shifts the whole training set once before the first epoch, so every image keeps the same shift in every epoch."""
FILE = "exercise3_training.py"
REPLACE = [
    ("    history = []\n    for _ in range(epochs):\n", "    history = []\n    x_shifted = random_shift(x, max_shift, generator=g)\n    for _ in range(epochs):\n"),
    ("xb = random_shift(x[idx], max_shift, generator=g).to(device)", "xb = x_shifted[idx].to(device)"),
]
