"""get_batch draws the target windows' starts separately from the inputs': y is not x shifted by one."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("    y = data[ix[:, None] + offsets + 1]\n",
     "    y = data[torch.randint(len(data) - context, (batch_size,), generator=generator)[:, None] + offsets + 1]\n"),
]
