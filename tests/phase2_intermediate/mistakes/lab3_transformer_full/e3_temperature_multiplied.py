"""Temperature multiplies the logits: T = 2 sharpens the distribution and T = 0.5 flattens it, the opposite of softmax(logits / T)."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("    return logits / temperature\n", "    return logits * temperature\n"),
]
