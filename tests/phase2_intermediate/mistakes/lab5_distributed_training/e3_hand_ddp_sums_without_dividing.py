"""The bucket is all-reduced but not divided by the world size: every gradient is the SUM over ranks, world_size times too large."""
FILE = "exercise3_data_parallel.py"
REPLACE = [
    ("            flat /= dist.get_world_size()\n", ""),
]
