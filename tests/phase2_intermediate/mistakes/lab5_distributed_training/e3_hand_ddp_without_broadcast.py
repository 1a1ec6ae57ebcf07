"""No broadcast at construction: ranks that start from different weights average their gradients but never hold the same model."""
FILE = "exercise3_data_parallel.py"
REPLACE = [
    ("                dist.broadcast(tensor.data, 0)\n", "                pass\n"),
]
