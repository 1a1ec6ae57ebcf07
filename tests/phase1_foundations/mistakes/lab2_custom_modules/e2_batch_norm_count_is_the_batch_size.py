"""BatchNorm1d applies the unbiased correction N / (N - 1) with the batch size N, even on (N, C, L) inputs where each channel has N * L values."""
FILE = "exercise2_normalization_layers.py"
REPLACE = [
    ("add_(var.detach() * (n / (n - 1)), alpha=m)", "add_(var.detach() * (x.shape[0] / max(x.shape[0] - 1, 1)), alpha=m)"),
]
