"""balanced_sampler draws without replacement: a rare class runs out after n_c draws and the balance is lost."""
FILE = "exercise3_samplers.py"
REPLACE = [
    ("num_samples=n, replacement=True, generator=generator", "num_samples=n, replacement=False, generator=generator"),
]
