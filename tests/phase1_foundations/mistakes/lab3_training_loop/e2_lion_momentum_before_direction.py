"""Lion that updates its momentum first and takes the sign of the new m: that is signed momentum with b2, not Lion's b1 interpolation."""
FILE = "exercise2_optimizers.py"
REPLACE = [
    ("                direction = exp_avg.mul(beta1).add_(grad, alpha=1 - beta1).sign_()\n"
     "                p.add_(direction, alpha=-lr)\n"
     "                exp_avg.mul_(beta2).add_(grad, alpha=1 - beta2)\n",
     "                exp_avg.mul_(beta2).add_(grad, alpha=1 - beta2)\n"
     "                p.add_(exp_avg.sign(), alpha=-lr)\n"),
]
