"""train_seq2seq never zeroes the gradients: each step follows the sum of every gradient so far."""
FILE = "exercise2_training.py"
REPLACE = [
    ("        opt.zero_grad(set_to_none=True)\n", ""),
]
