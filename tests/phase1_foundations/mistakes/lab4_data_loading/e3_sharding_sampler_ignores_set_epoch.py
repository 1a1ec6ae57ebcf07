"""ShardingSampler seeds with seed only, ignoring set_epoch: every epoch reads the same order."""
FILE = "exercise3_samplers.py"
REPLACE = [
    ("g = torch.Generator().manual_seed(self.seed + self.epoch)", "g = torch.Generator().manual_seed(self.seed)"),
]
