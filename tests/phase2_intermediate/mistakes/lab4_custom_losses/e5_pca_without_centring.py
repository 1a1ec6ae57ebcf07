"""pca_2d takes the SVD of the raw data: without centring, the first direction points at the mean, not along the largest variance."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("c = x - x.mean(dim=0)", "c = x"),
]
