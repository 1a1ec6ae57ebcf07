"""The labels keep PAD instead of -100: the loss trains the model to predict padding after EOS."""
FILE = "exercise2_training.py"
REPLACE = [
    ("    labels[labels == pad_id] = IGNORE_INDEX\n", ""),
]
