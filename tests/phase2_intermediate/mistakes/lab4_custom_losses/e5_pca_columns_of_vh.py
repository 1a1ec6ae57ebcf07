"""pca_2d projects on the first two COLUMNS of Vh: the principal directions are its rows (the columns of V)."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("return c @ vh[:2].T", "return c @ vh[:, :2]"),
]
