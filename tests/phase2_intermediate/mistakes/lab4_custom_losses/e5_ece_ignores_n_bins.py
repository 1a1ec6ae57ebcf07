"""expected_calibration_error forgets to pass n_bins on: it always uses the default 15 bins."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("conf, acc, count = reliability_bins(probs, labels, n_bins)", "conf, acc, count = reliability_bins(probs, labels)"),
]
