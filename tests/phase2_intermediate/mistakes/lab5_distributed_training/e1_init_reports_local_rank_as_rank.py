"""WorldInfo.rank filled with LOCAL_RANK: the group is right, but every machine's processes report ranks 0 and 1."""
FILE = "exercise1_collectives.py"
REPLACE = [
    ("return WorldInfo(dist.get_rank(), dist.get_world_size(), local_rank, local_world_size, backend)",
     "return WorldInfo(local_rank, dist.get_world_size(), local_rank, local_world_size, backend)"),
]
