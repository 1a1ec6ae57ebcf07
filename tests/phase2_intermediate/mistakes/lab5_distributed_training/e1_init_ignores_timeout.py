"""timeout_s not passed to the group: a collective one rank skips hangs for gloo's default 30 minutes."""
FILE = "exercise1_collectives.py"
REPLACE = [
    ("""dist.init_process_group(backend, init_method="env://", rank=rank, world_size=world_size,
                            timeout=timedelta(seconds=timeout_s))""",
     """dist.init_process_group(backend, init_method="env://", rank=rank, world_size=world_size)"""),
]
