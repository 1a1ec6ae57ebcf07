"""RMSNorm subtracts the mean first: that is LayerNorm without its bias, and it differs from RMSNorm on every input whose rows do not have mean 0."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ("        y = xf * torch.rsqrt(xf.pow(2).mean(dim=dims, keepdim=True) + eps)\n",
     "        xf = xf - xf.mean(dim=dims, keepdim=True)\n        y = xf * torch.rsqrt(xf.pow(2).mean(dim=dims, keepdim=True) + eps)\n"),
]
