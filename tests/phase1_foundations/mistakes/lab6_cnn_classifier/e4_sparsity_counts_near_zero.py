"""sparsity counts weights with |w| < 1e-6 as zero, where the docstring asks for exactly-zero entries."""
FILE = "exercise4_surgery.py"
REPLACE = [
    ("zeros = sum(int((m.weight == 0).sum()) for _, m in layers)", "zeros = sum(int((m.weight.abs() < 1e-6).sum()) for _, m in layers)"),
]
