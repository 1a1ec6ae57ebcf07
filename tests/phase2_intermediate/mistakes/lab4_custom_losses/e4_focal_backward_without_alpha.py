"""The focal backward forgets alpha_t: the forward weighs positives by alpha and negatives by 1 - alpha, the gradient does not."""
FILE = "exercise4_backward.py"
REPLACE = [
    ("        if ctx.alpha >= 0:\n            grad = grad * (ctx.alpha * t + (1 - ctx.alpha) * (1 - t))\n", ""),
]
