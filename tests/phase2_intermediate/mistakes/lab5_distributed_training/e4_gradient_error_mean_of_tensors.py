"""The mean of each tensor's relative error instead of the error of all gradients together: a small tensor with a large error dominates."""
FILE = "exercise4_ddp.py"
REPLACE = [
    ("    return float((a - e).norm() / e.norm())",
     "    return sum(float((x.double() - y.double()).norm() / y.double().norm()) for x, y in zip(approx, exact)) / len(exact)"),
]
