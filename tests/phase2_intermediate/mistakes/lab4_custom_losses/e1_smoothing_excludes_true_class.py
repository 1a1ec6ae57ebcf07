"""Label smoothing spreading eps / (C - 1) over the other classes only: not PyTorch's label_smoothing (eps / C over all)."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("return (1.0 - smoothing) * q + smoothing / num_classes",
     "return (1.0 - smoothing) * q + smoothing / (num_classes - 1) * (1 - q)"),
]
