"""info_nce normalises along the batch dim (dim 0): the rows are not unit vectors, so the scores are not cosines."""
FILE = "exercise3_infonce.py"
REPLACE = [
    ("    q = F.normalize(queries, dim=1)\n    k = F.normalize(keys, dim=1)\n",
     "    q = F.normalize(queries, dim=0)\n    k = F.normalize(keys, dim=0)\n"),
]
