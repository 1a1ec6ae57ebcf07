"""MemmapDataset pickles its open memmap: every spawned worker receives the whole file."""
FILE = "exercise5_throughput.py"
REPLACE = [
    ("state = self.__dict__.copy()\n        state[\"_data\"] = None\n        return state", "return self.__dict__.copy()"),
]
