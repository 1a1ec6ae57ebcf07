"""Dropout draws from the global generator: the generator argument is ignored and runs are not reproducible."""
FILE = "exercise1_sdpa.py"
REPLACE = [
    ("keep = torch.rand(weights.shape, generator=generator, device=weights.device) >= dropout_p",
     "keep = torch.rand(weights.shape, device=weights.device) >= dropout_p"),
]
