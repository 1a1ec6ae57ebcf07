"""A parameter joins the current bucket whenever that bucket is not yet full, so a parameter larger than the cap joins the previous bucket."""
FILE = "exercise3_data_parallel.py"
REPLACE = [
    ("if buckets and size + nbytes <= bucket_bytes:", "if buckets and size < bucket_bytes:"),
]
