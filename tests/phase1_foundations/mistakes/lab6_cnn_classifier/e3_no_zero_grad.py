"""train_classifier never zeroes the gradients, so every step uses the sum of all batches' gradients so far."""
FILE = "exercise3_training.py"
REPLACE = [
    ("            opt.zero_grad(set_to_none=True)\n", ""),
]
