"""count_flops runs its forward pass in train mode, so counting the FLOPs updates every BatchNorm's running statistics."""
FILE = "exercise2_architectures.py"
REPLACE = [
    ("    try:\n        model.eval()\n        with torch.no_grad():", "    try:\n        with torch.no_grad():"),
]
