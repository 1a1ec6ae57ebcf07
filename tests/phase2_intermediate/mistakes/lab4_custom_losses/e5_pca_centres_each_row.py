"""pca_2d subtracts each row's mean (dim=1) instead of each feature's mean over the examples (dim=0)."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("c = x - x.mean(dim=0)", "c = x - x.mean(dim=1, keepdim=True)"),
]
