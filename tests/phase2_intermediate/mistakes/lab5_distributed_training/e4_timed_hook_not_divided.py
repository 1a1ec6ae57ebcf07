"""The timed hook all-reduces without dividing by the world size: DDP's gradients come out world_size times too large."""
FILE = "exercise4_ddp.py"
REPLACE = [
    ("    buffer.div_(dist.get_world_size())\n    fut = dist.all_reduce(buffer, async_op=True).get_future()",
     "    fut = dist.all_reduce(buffer, async_op=True).get_future()"),
]
