"""scale_ assigns x.data = x * s: new memory, and a view no longer writes through to its base."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('    x.mul_(s)\n    return x\n',
     '    x.data = x * s\n    return x\n'),
]
