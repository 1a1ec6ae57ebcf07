"""scaled multiplies x in place and returns a copy, so the caller's x changes."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('    return x * s\n',
     '    return x.mul_(s).clone()\n'),
]
