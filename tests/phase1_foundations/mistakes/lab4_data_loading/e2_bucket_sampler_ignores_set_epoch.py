"""BucketBatchSampler seeds with seed only, ignoring set_epoch: the same batches in the same order every epoch."""
FILE = "exercise2_collation.py"
REPLACE = [
    ("g = torch.Generator().manual_seed(self.seed + self.epoch)", "g = torch.Generator().manual_seed(self.seed)"),
]
