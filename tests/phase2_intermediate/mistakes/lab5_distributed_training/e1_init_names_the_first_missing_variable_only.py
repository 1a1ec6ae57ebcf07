"""Stops at the first missing variable: the learner fixes one, runs again, and learns of the next."""
FILE = "exercise1_collectives.py"
REPLACE = [
    ("missing = [name for name in TORCHRUN_VARIABLES if name not in os.environ]",
     "missing = [name for name in TORCHRUN_VARIABLES if name not in os.environ][:1]"),
]
