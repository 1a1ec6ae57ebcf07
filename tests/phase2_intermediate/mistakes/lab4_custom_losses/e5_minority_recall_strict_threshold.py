"""minority_recall compares probs > threshold: a positive scored exactly at the threshold is counted as missed."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("return float((probs[pos] >= threshold).double().mean())", "return float((probs[pos] > threshold).double().mean())"),
]
