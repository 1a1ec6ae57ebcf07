"""Exported without model.eval(): dropout is recorded in the graph in train mode, so the program's outputs are random."""
FILE = "exercise2_torch_export.py"
REPLACE = [
    ("    model.eval()\n    batch = Dim(", "    batch = Dim("),
]
