"""reliability_bins divides by the raw count: an empty bin reports nan (0 / 0), and so does the ECE."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("denom = count.clamp_min(1).to(probs.dtype)", "denom = count.to(probs.dtype)"),
]
