"""Loads into the DDP wrapper with strict=False to silence the "module." key error: nothing is loaded at all."""
FILE = "exercise5_restarts.py"
REPLACE = [
    ('    net = model.module if isinstance(model, DistributedDataParallel) else model\n    net.load_state_dict(state["model"])',
     '    net = model\n    net.load_state_dict(state["model"], strict=False)'),
]
