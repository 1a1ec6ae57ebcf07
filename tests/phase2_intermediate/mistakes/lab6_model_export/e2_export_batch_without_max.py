"""The batch Dim has no max: the program claims any batch size and no guard rejects one beyond max_batch."""
FILE = "exercise2_torch_export.py"
REPLACE = [
    ('Dim("batch", min=1, max=max_batch)', 'Dim("batch", min=1)'),
]
