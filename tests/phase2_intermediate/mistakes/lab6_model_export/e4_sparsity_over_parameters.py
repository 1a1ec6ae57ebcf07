"""Sparsity counted over model.parameters(): a pruned layer holds weight_orig (dense), and biases and norms count too."""
FILE = "exercise4_compress.py"
REPLACE = [
    ("""    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            w = module.weight
            zeros += int((w == 0).sum())
            total += w.numel()""",
     """    for w in model.parameters():
        zeros += int((w == 0).sum())
        total += w.numel()"""),
]
