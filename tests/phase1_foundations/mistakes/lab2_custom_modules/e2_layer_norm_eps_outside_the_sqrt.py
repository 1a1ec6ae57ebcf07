"""LayerNorm adds eps after the square root, (x - mean) / (std + eps): wrong whenever var is comparable to eps."""
FILE = "exercise2_normalization_layers.py"
REPLACE = [
    ("y = (x - mean) * torch.rsqrt(var + self.eps)", "y = (x - mean) / (var.sqrt() + self.eps)"),
]
