"""(beta, alpha) returned: numpy.polyfit's order, highest power first, taken for (alpha, beta)."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("return float(alpha), float(beta)", "return float(beta), float(alpha)"),
]
