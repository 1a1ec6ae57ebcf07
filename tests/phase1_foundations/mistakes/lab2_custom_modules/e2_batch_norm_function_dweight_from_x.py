"""BatchNormFunction's dweight sums dy * x instead of dy * x_hat: the weight multiplies the normalised input."""
FILE = "exercise2_normalization_layers.py"
REPLACE = [
    ("        ctx.save_for_backward(x_hat, rstd, weight)\n", "        ctx.save_for_backward(x_hat, rstd, weight, x)\n"),
    ("        x_hat, rstd, weight = ctx.saved_tensors\n", "        x_hat, rstd, weight, x = ctx.saved_tensors\n"),
    ("return dx, sum_dy_xhat.view(-1), sum_dy.view(-1), None", "return dx, (dy * x).sum(dim=dims), sum_dy.view(-1), None"),
]
