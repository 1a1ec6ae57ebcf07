"""ShardingSampler gives each rank a contiguous block of the order instead of every num_replicas-th index."""
FILE = "exercise3_samplers.py"
REPLACE = [
    ("return iter(indices[self.rank: self.total_size: self.num_replicas])",
     "return iter(indices[self.rank * self.num_samples: (self.rank + 1) * self.num_samples])"),
]
