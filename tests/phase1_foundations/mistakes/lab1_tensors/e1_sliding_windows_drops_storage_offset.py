"""sliding_windows starts the view at storage offset 0, so y[5:] gives windows of y instead of x."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('return x.as_strided((n - window + 1, window), (s, s), x.storage_offset())',
     'return x.as_strided((n - window + 1, window), (s, s), 0)'),
]
