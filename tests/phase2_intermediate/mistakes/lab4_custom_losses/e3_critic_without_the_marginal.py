"""optimal_gaussian_critic scores log p(y_j | x_i) alone: without + ||y_j||^2 / 2 (the - log p(y_j)) it is not the density ratio."""
FILE = "exercise3_infonce.py"
REPLACE = [
    ("    return -0.5 * dim * math.log(s2) - sq / (2.0 * s2) + 0.5 * (y * y).sum(dim=1)[None, :]\n",
     "    return -0.5 * dim * math.log(s2) - sq / (2.0 * s2)\n"),
]
