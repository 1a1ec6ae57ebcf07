"""The focal backward returns dFL/dz for dFL/dx: it drops the chain-rule factor dz/dx = 2t - 1, so negatives get the wrong sign."""
FILE = "exercise4_backward.py"
REPLACE = [
    ("        grad = sign * q**ctx.gamma * (ctx.gamma * log_pt.exp() * log_pt - q)\n",
     "        grad = q**ctx.gamma * (ctx.gamma * log_pt.exp() * log_pt - q)\n"),
]
