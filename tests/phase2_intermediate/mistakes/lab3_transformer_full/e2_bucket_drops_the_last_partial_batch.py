"""bucket_batches drops each bucket's last, smaller batch: the indices in it are never trained on."""
FILE = "exercise2_training.py"
REPLACE = [
    ("for j in range(0, len(bucket), batch_size)]", "for j in range(0, len(bucket) - batch_size + 1, batch_size)]"),
]
