"""ShardedRecordStream shards over workers only: every rank of a distributed job reads the same files."""
FILE = "exercise1_datasets.py"
REPLACE = [
    ("n_readers = self.world_size * num_workers", "n_readers = num_workers"),
    ("reader = self.rank * num_workers + worker_id", "reader = worker_id"),
]
