"""random_crop_with_padding always pads with zeros, ignoring padding_mode='reflect'."""
FILE = "exercise4_augmentation.py"
REPLACE = [
    ("padded = F.pad(images, (p, p, p, p), mode=padding_mode) if p > 0 else images",
     "padded = F.pad(images, (p, p, p, p)) if p > 0 else images"),
]
