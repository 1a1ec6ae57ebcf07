"""bucket_batches returns the batches bucket by bucket, shortest first: the order of the batches is never shuffled."""
FILE = "exercise2_training.py"
REPLACE = [
    ("return [batches[i] for i in order]", "return batches"),
]
