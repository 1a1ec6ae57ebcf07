"""info_nce multiplies the similarities by the temperature instead of dividing: a small temperature flattens the softmax instead of sharpening it."""
FILE = "exercise3_infonce.py"
REPLACE = [
    ("    logits = q @ k.T / temperature\n", "    logits = q @ k.T * temperature\n"),
]
