"""Lion that computes c in place on m (exp_avg.mul_ instead of exp_avg.mul): the momentum is overwritten by c."""
FILE = "exercise2_optimizers.py"
REPLACE = [
    ("direction = exp_avg.mul(beta1).add_(grad, alpha=1 - beta1).sign_()",
     "direction = exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1).sign()"),
]
