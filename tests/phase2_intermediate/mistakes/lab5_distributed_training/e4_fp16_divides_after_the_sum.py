"""The float16 buckets are summed first and divided afterwards: large gradients overflow float16's 65504 and come back inf."""
FILE = "exercise4_ddp.py"
REPLACE = [
    ("compressed = buffer.to(torch.float16).div_(dist.get_world_size())", "compressed = buffer.to(torch.float16)"),
    ("buffer.copy_(done.value()[0])", "buffer.copy_(done.value()[0]).div_(dist.get_world_size())"),
]
