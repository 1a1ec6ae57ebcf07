"""skip ignored: the classifier head is pruned along with the rest."""
FILE = "exercise4_compress.py"
REPLACE = [
    ("if isinstance(module, nn.Linear) and name not in skip:", "if isinstance(module, nn.Linear):"),
]
