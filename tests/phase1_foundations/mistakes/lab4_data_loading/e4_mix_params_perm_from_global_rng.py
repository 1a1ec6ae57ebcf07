"""sample_mix_params draws the permutation from the global RNG instead of the generator: runs cannot be replayed."""
FILE = "exercise4_augmentation.py"
REPLACE = [
    ("perm = torch.randperm(batch_size, generator=generator)", "perm = torch.randperm(batch_size)"),
]
