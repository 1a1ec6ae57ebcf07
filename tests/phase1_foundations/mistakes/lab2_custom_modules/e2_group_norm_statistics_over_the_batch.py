"""GroupNorm pools each group's statistics over the whole batch as well: a sample's output then depends on the other samples, as in BatchNorm."""
FILE = "exercise2_normalization_layers.py"
REPLACE = [
    ("""        mean = xg.mean(dim=-1, keepdim=True)
        var = xg.var(dim=-1, keepdim=True, correction=0)""",
     """        mean = xg.mean(dim=(0, 2), keepdim=True)
        var = xg.var(dim=(0, 2), keepdim=True, correction=0)"""),
]
