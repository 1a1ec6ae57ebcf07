"""LOCAL_WORLD_SIZE ignored: on two machines of two processes each reports 4 processes on its machine."""
FILE = "exercise1_collectives.py"
REPLACE = [
    ('local_world_size = int(os.environ.get("LOCAL_WORLD_SIZE", world_size))', "local_world_size = world_size"),
]
