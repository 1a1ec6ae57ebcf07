"""sliding_windows only rejects windows that are too long; window 0 returns an empty result instead of ValueError."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('if window < 1 or window > n:',
     'if window > n:'),
]
