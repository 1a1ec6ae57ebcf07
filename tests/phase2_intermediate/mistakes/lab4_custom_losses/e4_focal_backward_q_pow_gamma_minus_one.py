"""The focal backward by the product rule on q ** gamma: q ** (gamma - 1) is inf where q = 1 - p_t underflows to 0, and 0 * inf = nan."""
FILE = "exercise4_backward.py"
REPLACE = [
    ("        grad = sign * q**ctx.gamma * (ctx.gamma * log_pt.exp() * log_pt - q)\n",
     "        grad = sign * (ctx.gamma * q ** (ctx.gamma - 1) * log_pt.exp() * q * log_pt - q ** (ctx.gamma + 1))\n"),
]
