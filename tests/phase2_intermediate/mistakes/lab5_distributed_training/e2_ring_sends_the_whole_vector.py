"""Every step sends the whole vector to the right and keeps only the incoming chunk: right sums, N times the traffic."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("""        incoming = torch.empty(d - c, dtype=flat.dtype)
        _exchange(flat[a:b], incoming, right, left)
        flat[c:d] += incoming""",
     """        incoming = torch.empty(flat.numel(), dtype=flat.dtype)
        _exchange(flat.clone(), incoming, right, left)
        flat[c:d] += incoming[c:d]"""),
]
