"""bucket_batches sorts the whole epoch by length instead of each bucket: every batch is fixed across epochs."""
FILE = "exercise2_training.py"
REPLACE = [
    ("bucket = sorted(perm[start:start + span], key=lambda i: lengths[i])",
     "bucket = sorted(perm, key=lambda i: lengths[i])[start:start + span]"),
]
