"""random_shift draws one (dy, dx) for the whole batch instead of one per image."""
FILE = "exercise3_training.py"
REPLACE = [
    ("shifts = torch.randint(-s, s + 1, (n, 2), generator=generator, device=x.device)", "shifts = torch.randint(-s, s + 1, (1, 2), generator=generator, device=x.device).expand(n, 2)"),
]
