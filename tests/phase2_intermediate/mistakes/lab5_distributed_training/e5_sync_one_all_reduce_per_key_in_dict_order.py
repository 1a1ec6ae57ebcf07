"""One all_reduce per name of this rank's own dict: ranks with other names (or orders) pair up the wrong calls."""
FILE = "exercise5_restarts.py"
REPLACE = [
    ("""    gathered: list[list[str]] = [[] for _ in range(dist.get_world_size())]
    dist.all_gather_object(gathered, sorted(metrics))
    names = sorted(set().union(*gathered))
    table = torch.zeros(len(names), 2, dtype=torch.float64)
    for i, name in enumerate(names):
        if name in metrics:
            table[i] = torch.tensor([float(metrics[name]), 1.0], dtype=torch.float64)
    dist.all_reduce(table)
    return {name: float(table[i, 0] / table[i, 1]) for i, name in enumerate(names)}
""", """    out = {}
    for name, value in metrics.items():
        t = torch.tensor([float(value), 1.0], dtype=torch.float64)
        dist.all_reduce(t)
        out[name] = float(t[0] / t[1])
    return out
"""),
]
