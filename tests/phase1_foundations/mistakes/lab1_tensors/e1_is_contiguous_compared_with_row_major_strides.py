"""tensor_summary calls a tensor contiguous only when its strides equal the row-major ones, but a size-1 dim's stride does not matter."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('"is_contiguous": t.is_contiguous(),',
     '"is_contiguous": tuple(t.stride()) == contiguous_strides(tuple(t.shape)),'),
]
