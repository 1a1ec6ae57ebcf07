"""Distance swap with max(d(a, n), d(p, n)): it takes the easier negative distance, not the harder one."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("d_an = torch.minimum(d_an, dist(positive, negative))", "d_an = torch.maximum(d_an, dist(positive, negative))"),
]
