"""optimal_gaussian_critic uses 1 - rho as the conditional variance: y given x has variance 1 - rho^2."""
FILE = "exercise3_infonce.py"
REPLACE = [
    ("    s2 = 1.0 - rho * rho\n", "    s2 = 1.0 - rho\n"),
]
