"""confusion_matrix puts the predicted class on the rows and the true class on the columns (transposed)."""
FILE = "exercise3_training.py"
REPLACE = [
    ("idx = targets.long() * num_classes + preds.long()", "idx = preds.long() * num_classes + targets.long()"),
]
