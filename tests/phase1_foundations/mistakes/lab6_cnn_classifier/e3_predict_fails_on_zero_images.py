"""predict concatenates the batch predictions without a case for N = 0: on an empty input torch.cat([]) raises instead of returning (0,)."""
FILE = "exercise3_training.py"
REPLACE = [
    ("return torch.cat(out) if out else torch.zeros(0, dtype=torch.int64)", "return torch.cat(out)"),
]
