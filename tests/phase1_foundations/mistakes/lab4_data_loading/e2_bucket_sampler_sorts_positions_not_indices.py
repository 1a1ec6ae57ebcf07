"""BucketBatchSampler keeps argsort's positions inside the pool instead of the dataset indices they point to."""
FILE = "exercise2_collation.py"
REPLACE = [
    ("pool = pool[torch.argsort(self.lengths[pool], stable=True)]", "pool = torch.argsort(self.lengths[pool], stable=True)"),
]
