"""train_classifier averages the epoch loss over batches, so the smaller last batch weighs as much as a full one."""
FILE = "exercise3_training.py"
REPLACE = [
    ("            total += loss.item() * len(idx)\n            count += len(idx)\n", "            total += loss.item()\n            count += 1\n"),
]
