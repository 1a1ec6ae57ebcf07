"""Calibration on the first n_calibration training rows instead of the seeded random subset."""
FILE = "exercise4_compress.py"
REPLACE = [
    ("train_ids[rows], batch_size=32)", "train_ids[:n_calibration], batch_size=32)"),
]
