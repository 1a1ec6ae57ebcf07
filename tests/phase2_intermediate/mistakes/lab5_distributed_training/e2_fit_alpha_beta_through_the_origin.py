"""A line through the origin: no latency term, so alpha is 0 and beta absorbs the fixed cost of every message."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("(alpha, beta), *_ = np.linalg.lstsq(design, y, rcond=None)", "alpha, beta = 0.0, float(x @ y / (x @ x))"),
]
