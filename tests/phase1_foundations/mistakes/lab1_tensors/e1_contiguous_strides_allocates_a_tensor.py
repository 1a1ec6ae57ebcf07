"""contiguous_strides reads the answer off torch.empty(shape) instead of computing it with integer arithmetic."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('    strides = [0] * len(shape)\n',
     '    return tuple(torch.empty(shape).stride())\n    strides = [0] * len(shape)\n'),
]
