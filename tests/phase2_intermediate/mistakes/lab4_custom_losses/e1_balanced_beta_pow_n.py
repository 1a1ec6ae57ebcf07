"""Effective number with beta ** n in place of 1 - beta ** n."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("effective = -torch.expm1(n * math.log1p(beta - 1.0)) / (1.0 - beta)",
     "effective = beta**n / (1.0 - beta)"),
]
