"""The float16 bucket is all-reduced but never divided by the world size: the gradients are the sum over ranks."""
FILE = "exercise4_ddp.py"
REPLACE = [
    ("compressed = buffer.to(torch.float16).div_(dist.get_world_size())", "compressed = buffer.to(torch.float16)"),
]
