"""GroupNorm divides the variance by (count - 1): group normalisation, like LayerNorm, uses the biased variance."""
FILE = "exercise2_normalization_layers.py"
REPLACE = [
    ("        var = xg.var(dim=-1, keepdim=True, correction=0)", "        var = xg.var(dim=-1, keepdim=True)"),
]
