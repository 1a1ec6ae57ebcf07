"""RMSNorm adds eps outside the square root, x / (sqrt(mean(x^2)) + eps): not nn.RMSNorm, and far off for inputs whose mean(x^2) is near eps."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ("y = xf * torch.rsqrt(xf.pow(2).mean(dim=dims, keepdim=True) + eps)", "y = xf / (xf.pow(2).mean(dim=dims, keepdim=True).sqrt() + eps)"),
]
