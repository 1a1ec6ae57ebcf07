"""Saves the DDP wrapper's state_dict: every key starts with "module." and the checkpoint does not load into a plain model."""
FILE = "exercise5_restarts.py"
REPLACE = [
    ("    net = model.module if isinstance(model, DistributedDataParallel) else model\n    if dist.get_rank() == 0:",
     "    net = model\n    if dist.get_rank() == 0:"),
]
