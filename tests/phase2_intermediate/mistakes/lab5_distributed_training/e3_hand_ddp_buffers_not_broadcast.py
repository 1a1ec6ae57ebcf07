"""Only the parameters are broadcast: each rank keeps its own buffers, so the ranks compute different forwards."""
FILE = "exercise3_data_parallel.py"
REPLACE = [
    ("for tensor in [*module.parameters(), *module.buffers()]:", "for tensor in module.parameters():"),
]
