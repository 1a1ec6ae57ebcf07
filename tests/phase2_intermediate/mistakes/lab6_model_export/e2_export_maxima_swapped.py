"""max_batch and max_seq swapped: the program rejects sequences longer than max_batch and accepts batches up to max_seq."""
FILE = "exercise2_torch_export.py"
REPLACE = [
    ('Dim("batch", min=1, max=max_batch)', 'Dim("batch", min=1, max=max_seq)'),
    ('Dim("seq", min=1, max=max_seq)', 'Dim("seq", min=1, max=max_batch)'),
]
