"""Only the sequence marked dynamic: the exporter fixes the batch at the example's 2, so the file refuses batch 1, 3 or 8."""
FILE = "exercise3_onnx.py"
REPLACE = [
    ('dynamic = {"ids": {0: Dim("batch", min=1, max=max_batch), 1: Dim("seq", min=2, max=max_seq)}}',
     'dynamic = {"ids": {1: Dim("seq", min=2, max=max_seq)}}'),
]
