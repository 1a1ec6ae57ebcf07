"""One distinct size accepted: lstsq returns a minimum-norm answer for a line that the data cannot determine."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("if x.shape != y.shape or len(np.unique(x)) < 2:", "if x.shape != y.shape or len(x) < 1:"),
]
