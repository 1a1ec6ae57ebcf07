"""reliability_bins counts label == 1 as correct (the binary calibration curve's positive rate): correct means argmax == label."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("correct = (pred == labels).to(probs.dtype)", "correct = (labels == 1).to(probs.dtype)"),
]
