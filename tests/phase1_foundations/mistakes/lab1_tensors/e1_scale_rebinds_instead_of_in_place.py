"""scale_ writes x = x * s, which makes a new tensor and leaves the caller's tensor unchanged."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('    x.mul_(s)\n    return x\n',
     '    x = x * s\n    return x\n'),
]
