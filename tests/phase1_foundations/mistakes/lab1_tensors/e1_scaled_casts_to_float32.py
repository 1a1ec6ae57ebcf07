"""scaled converts x to float32 first, so a float64 or float16 input comes back in another dtype."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('    return x * s\n',
     '    return x.float() * s\n'),
]
