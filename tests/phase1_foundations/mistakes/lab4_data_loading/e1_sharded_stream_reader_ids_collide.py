"""ShardedRecordStream numbers readers rank + worker id: rank 1 worker 0 and rank 0 worker 1 read the same files."""
FILE = "exercise1_datasets.py"
REPLACE = [
    ("reader = self.rank * num_workers + worker_id", "reader = self.rank + worker_id"),
]
