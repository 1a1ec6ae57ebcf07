"""RMSNorm subtracts the mean first: that is LayerNorm without its bias, and it differs from RMSNorm on every input whose rows do not have mean 0."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ("        y = x * torch.rsqrt(x.pow(2).mean(dim=dims, keepdim=True) + eps)\n",
     "        x = x - x.mean(dim=dims, keepdim=True)\n        y = x * torch.rsqrt(x.pow(2).mean(dim=dims, keepdim=True) + eps)\n"),
]
