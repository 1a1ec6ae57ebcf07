"""recall_at_1 ranks by the raw dot product: without normalising the rows, long vectors are everybody's neighbour."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("z = F.normalize(emb.double(), dim=1)", "z = emb.double()"),
]
