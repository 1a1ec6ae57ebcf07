"""non_blocking is accepted but never passed to Tensor.to, so every copy is synchronous."""
FILE = "exercise1_devices.py"
REPLACE = [
    ("return obj.to(device, non_blocking=non_blocking)", "return obj.to(device)"),
]
