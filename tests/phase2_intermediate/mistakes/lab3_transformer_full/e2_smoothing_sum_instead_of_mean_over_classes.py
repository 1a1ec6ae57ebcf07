"""The smoothing term sums -log p_c over the classes instead of averaging it: eps is C times too strong."""
FILE = "exercise2_training.py"
REPLACE = [
    ("smooth = -logp.mean(dim=1)", "smooth = -logp.sum(dim=1)"),
]
