"""softmax reduces over dim 0 whatever dim it is given: right only for 1-D inputs."""
FILE = "exercise1_sdpa.py"
REPLACE = [
    ("    m = x.amax(dim=dim, keepdim=True)\n    e = torch.exp(x - m)\n    return e / e.sum(dim=dim, keepdim=True)",
     "    m = x.amax(dim=0, keepdim=True)\n    e = torch.exp(x - m)\n    return e / e.sum(dim=0, keepdim=True)"),
]
