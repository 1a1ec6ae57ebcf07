"""alpha applied to positives and negatives alike, instead of alpha for positives and 1 - alpha for negatives."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("loss = (alpha * t + (1 - alpha) * (1 - t)) * loss", "loss = alpha * loss"),
]
