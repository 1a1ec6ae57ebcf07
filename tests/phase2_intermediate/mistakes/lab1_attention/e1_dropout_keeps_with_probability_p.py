"""Dropout keeps each weight with probability p instead of dropping it with probability p."""
FILE = "exercise1_sdpa.py"
REPLACE = [
    ("keep = torch.rand(weights.shape, generator=generator, device=weights.device) >= dropout_p",
     "keep = torch.rand(weights.shape, generator=generator, device=weights.device) < dropout_p"),
]
