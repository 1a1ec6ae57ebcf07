"""1 - beta ** n computed directly: it cancels for beta near 1 and loses digits (expm1/log1p keep them)."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("effective = -torch.expm1(n * math.log1p(beta - 1.0)) / (1.0 - beta)",
     "effective = (1.0 - beta**n) / (1.0 - beta)"),
]
