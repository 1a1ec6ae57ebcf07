"""cutmix mixes the labels with the requested lam, not with the area of the clipped box actually pasted."""
FILE = "exercise4_augmentation.py"
REPLACE = [
    ("lam_adj = 1.0 - (y1 - y0) * (x1 - x0) / (H * W)", "lam_adj = lam"),
]
