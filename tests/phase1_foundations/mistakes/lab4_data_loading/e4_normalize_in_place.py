"""normalize subtracts and divides in place: the caller's images are overwritten."""
FILE = "exercise4_augmentation.py"
REPLACE = [
    ("return (images - mean_t[:, None, None]) / std_t[:, None, None]",
     "return images.sub_(mean_t[:, None, None]).div_(std_t[:, None, None])"),
]
