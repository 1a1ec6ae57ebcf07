"""bucket_cap_mb is not passed on: DDP keeps its default 25 MB buckets whatever the caller asks for."""
FILE = "exercise4_ddp.py"
REPLACE = [
    ("return DistributedDataParallel(module, device_ids=device_ids, bucket_cap_mb=bucket_cap_mb)",
     "return DistributedDataParallel(module, device_ids=device_ids)"),
]
