"""The averaged bucket is copied back in increasing parameter order while it was flattened last parameter first: values land in the wrong gradients."""
FILE = "exercise3_data_parallel.py"
REPLACE = [
    ("for i in self.buckets[b]:", "for i in sorted(self.buckets[b]):"),
]
