"""average_precision with interpolated precision (the max precision at any higher recall, VOC style): optimistic, not sklearn's step sum."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("precision = tp / (tp + fp)", "precision = (tp / (tp + fp)).flip(0).cummax(0).values.flip(0)"),
]
