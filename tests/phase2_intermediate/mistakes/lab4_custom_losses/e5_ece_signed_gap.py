"""expected_calibration_error sums acc - conf without the absolute value: over- and under-confident bins cancel."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("return float((weight * (acc - conf).abs()).sum())", "return float((weight * (conf - acc)).sum())"),
]
