"""BucketBatchSampler shuffles the batch order with a generator seeded by seed alone, not the epoch's generator: the batch order repeats every epoch."""
FILE = "exercise2_collation.py"
REPLACE = [
    ("torch.randperm(len(batches), generator=g)", "torch.randperm(len(batches), generator=torch.Generator().manual_seed(self.seed))"),
]
