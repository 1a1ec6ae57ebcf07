"""mixup writes the mixed images into its input: the caller's batch is overwritten."""
FILE = "exercise4_augmentation.py"
REPLACE = [
    ("return lam * images + (1.0 - lam) * images[perm], lam * targets + (1.0 - lam) * targets[perm]",
     "partners = images[perm]\n    return images.mul_(lam).add_((1.0 - lam) * partners), lam * targets + (1.0 - lam) * targets[perm]"),
]
