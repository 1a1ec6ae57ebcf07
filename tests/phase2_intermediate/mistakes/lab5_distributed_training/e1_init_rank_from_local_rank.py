"""The rank read from LOCAL_RANK: on two machines of two processes two ranks claim rank 0 and the group never forms."""
FILE = "exercise1_collectives.py"
REPLACE = [
    ('rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])',
     'rank, world_size = int(os.environ["LOCAL_RANK"]), int(os.environ["WORLD_SIZE"])'),
]
