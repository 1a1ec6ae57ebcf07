"""info_nce skips the normalisation: it scores dot products, not cosines, so the loss depends on the lengths of the embeddings."""
FILE = "exercise3_infonce.py"
REPLACE = [
    ("    q = F.normalize(queries, dim=1)\n    k = F.normalize(keys, dim=1)\n", "    q = queries\n    k = keys\n"),
]
