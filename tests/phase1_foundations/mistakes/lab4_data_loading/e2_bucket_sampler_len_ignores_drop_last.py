"""len(BucketBatchSampler) counts the partial last batch even with drop_last."""
FILE = "exercise2_collation.py"
REPLACE = [
    ("return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)", "return math.ceil(n / self.batch_size)"),
]
