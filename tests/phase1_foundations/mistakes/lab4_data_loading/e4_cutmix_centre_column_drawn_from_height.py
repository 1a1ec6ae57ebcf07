"""cutmix draws the box centre's column from {0..H-1} instead of {0..W-1}: on wide images the right side is never pasted."""
FILE = "exercise4_augmentation.py"
REPLACE = [
    ("cx = int(torch.randint(0, W, (1,), generator=generator))", "cx = int(torch.randint(0, H, (1,), generator=generator))"),
]
