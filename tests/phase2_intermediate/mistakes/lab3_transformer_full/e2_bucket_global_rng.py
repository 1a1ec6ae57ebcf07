"""bucket_batches draws its first permutation from the global RNG, not from `generator`: epochs are not reproducible."""
FILE = "exercise2_training.py"
REPLACE = [
    ("perm = torch.randperm(len(lengths), generator=generator).tolist()", "perm = torch.randperm(len(lengths)).tolist()"),
]
