"""LayerNorm computes var as E[x^2] - E[x]^2: catastrophic cancellation in float32 when the mean is large compared with the spread."""
FILE = "exercise2_normalization_layers.py"
REPLACE = [
    ("var = x.var(dim=dims, keepdim=True, correction=0)", "var = (x * x).mean(dim=dims, keepdim=True) - mean * mean"),
]
