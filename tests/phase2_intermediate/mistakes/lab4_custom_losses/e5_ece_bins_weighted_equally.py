"""expected_calibration_error averages the non-empty bins equally: a bin of 2 examples counts as much as one of 2000."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("weight = count.to(conf.dtype) / count.sum()", "weight = (count > 0).to(conf.dtype) / (count > 0).sum()"),
]
