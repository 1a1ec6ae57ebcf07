"""The Dims have no min: their ranges start at 0, an empty batch and a sequence of no tokens, which the model does not define."""
FILE = "exercise2_torch_export.py"
REPLACE = [
    ('Dim("batch", min=1, max=max_batch)', 'Dim("batch", max=max_batch)'),
    ('Dim("seq", min=1, max=max_seq)', 'Dim("seq", max=max_seq)'),
]
