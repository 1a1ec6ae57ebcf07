"""Divided by the norm of the approximate gradients, not of the exact ones."""
FILE = "exercise4_ddp.py"
REPLACE = [
    ("return float((a - e).norm() / e.norm())", "return float((a - e).norm() / a.norm())"),
]
