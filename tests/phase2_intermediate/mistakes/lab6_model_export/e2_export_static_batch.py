"""No Dim for the batch: it is specialised to the example's 2, and the program refuses every other batch size."""
FILE = "exercise2_torch_export.py"
REPLACE = [
    ('dynamic_shapes={"ids": {0: batch, 1: seq}}', 'dynamic_shapes={"ids": {1: seq}}'),
]
