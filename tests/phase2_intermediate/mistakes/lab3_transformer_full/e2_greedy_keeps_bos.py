"""greedy_translate returns each row with its BOS still in front."""
FILE = "exercise2_training.py"
REPLACE = [
    ("for row in ys[:, 1:].tolist():", "for row in ys.tolist():"),
]
