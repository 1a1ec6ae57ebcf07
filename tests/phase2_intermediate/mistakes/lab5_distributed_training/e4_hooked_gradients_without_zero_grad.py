"""The gradients are not zeroed between passes: after steps passes each gradient is the sum of steps of them."""
FILE = "exercise4_ddp.py"
REPLACE = [
    ("        ddp.zero_grad(set_to_none=True)\n", ""),
]
