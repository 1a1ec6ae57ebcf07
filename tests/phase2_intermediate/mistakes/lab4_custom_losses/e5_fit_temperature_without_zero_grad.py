"""fit_temperature's closure never zeroes the gradient: LBFGS sees the sum of every gradient so far and stops at the wrong T."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("        opt.zero_grad()\n", ""),
]
