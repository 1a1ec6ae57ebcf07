"""fit_temperature multiplies the logits by T instead of dividing: the value returned is 1 / T."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("loss = F.cross_entropy(logits / log_t.exp(), labels)", "loss = F.cross_entropy(logits * log_t.exp(), labels)"),
]
