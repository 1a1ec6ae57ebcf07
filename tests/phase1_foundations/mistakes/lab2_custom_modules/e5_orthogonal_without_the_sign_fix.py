"""orthogonal_ uses the Q of torch.linalg.qr as it comes: LAPACK's sign convention biases Q, which is then not uniformly distributed."""
FILE = "exercise5_initialization.py"
REPLACE = [
    ("    q = q * torch.diagonal(r).sign()\n", ""),
]
