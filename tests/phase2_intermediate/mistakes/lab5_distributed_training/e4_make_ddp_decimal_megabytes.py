"""The cap converted from decimal megabytes (10**6 bytes): DDP's bucket_cap_mb already counts MiB, 2**20 bytes, so the buckets come out 5% small."""
FILE = "exercise4_ddp.py"
REPLACE = [
    ("device_ids=device_ids, bucket_cap_mb=bucket_cap_mb)", "device_ids=device_ids, bucket_cap_mb=bucket_cap_mb * 1e6 / 2**20)"),
]
