"""Lion that steps along sign(g): signSGD, the momentum is kept but never used."""
FILE = "exercise2_optimizers.py"
REPLACE = [
    ("direction = exp_avg.mul(beta1).add_(grad, alpha=1 - beta1).sign_()", "direction = grad.sign()"),
]
