"""BatchNormFunction normalises with the unbiased variance (divide by n - 1): training-mode batch norm uses the biased one."""
FILE = "exercise2_normalization_layers.py"
REPLACE = [
    ("""        var = x.var(dim=dims, correction=0, keepdim=True)
        rstd = torch.rsqrt(var + eps)""",
     """        var = x.var(dim=dims, keepdim=True)
        rstd = torch.rsqrt(var + eps)"""),
]
