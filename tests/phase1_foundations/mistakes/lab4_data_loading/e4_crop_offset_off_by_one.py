"""random_crop_with_padding draws offsets from {0..2p-1}: the window flush with the right or bottom padding never comes out."""
FILE = "exercise4_augmentation.py"
REPLACE = [
    ("dy = torch.randint(0, 2 * p + 1, (B,), generator=generator)", "dy = torch.randint(0, 2 * p, (B,), generator=generator)"),
    ("dx = torch.randint(0, 2 * p + 1, (B,), generator=generator)", "dx = torch.randint(0, 2 * p, (B,), generator=generator)"),
]
