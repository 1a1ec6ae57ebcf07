"""average_precision as the trapezoidal area auc(recall, precision): linear interpolation between the points is optimistic."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("return float(((recall - previous) * precision).sum())",
     "return float(((recall - previous) * (precision + torch.cat([precision.new_ones(1), precision[:-1]])) / 2).sum())"),
]
