"""The sampler is never told the epoch: every epoch reads the same order."""
FILE = "exercise3_data_parallel.py"
REPLACE = [
    ("    sampler.set_epoch(epoch)\n", ""),
]
