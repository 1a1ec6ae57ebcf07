"""LayerNorm divides by n - 1 (torch's default var): LayerNorm normalises with the biased variance."""
FILE = "exercise2_normalization_layers.py"
REPLACE = [
    ("var = x.var(dim=dims, keepdim=True, correction=0)", "var = x.var(dim=dims, keepdim=True)"),
]
