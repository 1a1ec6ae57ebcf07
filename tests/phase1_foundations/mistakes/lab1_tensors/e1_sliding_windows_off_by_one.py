"""sliding_windows makes N - window windows and loses the last one."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('return x.as_strided((n - window + 1, window), (s, s), x.storage_offset())',
     'return x.as_strided((n - window, window), (s, s), x.storage_offset())'),
]
