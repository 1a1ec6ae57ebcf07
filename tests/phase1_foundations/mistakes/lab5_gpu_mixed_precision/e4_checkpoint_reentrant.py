"""checkpointed_forward uses the reentrant checkpoint: when the input needs no grad, the blocks' parameters get no gradient."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("h = checkpoint(block, h, use_reentrant=False)", "h = checkpoint(block, h, use_reentrant=True)"),
]
