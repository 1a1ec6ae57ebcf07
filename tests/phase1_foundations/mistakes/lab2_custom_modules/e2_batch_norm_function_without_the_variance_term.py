"""BatchNormFunction's backward drops the x_hat * sum(dy * x_hat) term: it treats the variance as a constant, although it depends on x too."""
FILE = "exercise2_normalization_layers.py"
REPLACE = [
    ("dx = weight.view(shape) * rstd / n * (n * dy - sum_dy - x_hat * sum_dy_xhat)",
     "dx = weight.view(shape) * rstd / n * (n * dy - sum_dy)"),
]
