"""GroupNorm groups channels c, c + G, c + 2G, ... (a reshape to (N, C // G, G, ...)) instead of G blocks of consecutive channels."""
FILE = "exercise2_normalization_layers.py"
REPLACE = [
    ("""        xg = x.reshape(n, self.num_groups, -1)
        mean = xg.mean(dim=-1, keepdim=True)
        var = xg.var(dim=-1, keepdim=True, correction=0)""",
     """        xg = x.reshape(n, x.shape[1] // self.num_groups, self.num_groups, -1)
        mean = xg.mean(dim=(1, 3), keepdim=True)
        var = xg.var(dim=(1, 3), keepdim=True, correction=0)"""),
]
