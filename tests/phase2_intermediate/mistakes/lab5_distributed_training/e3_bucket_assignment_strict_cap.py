"""A parameter that fills the bucket exactly to bucket_bytes opens a new bucket (< instead of <=)."""
FILE = "exercise3_data_parallel.py"
REPLACE = [
    ("if buckets and size + nbytes <= bucket_bytes:", "if buckets and size + nbytes < bucket_bytes:"),
]
