"""minority_recall divides by the predicted positives: that is the precision TP / (TP + FP), not the recall TP / (TP + FN)."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("return float((probs[pos] >= threshold).double().mean())", "return float((labels[probs >= threshold] == 1).double().mean())"),
]
