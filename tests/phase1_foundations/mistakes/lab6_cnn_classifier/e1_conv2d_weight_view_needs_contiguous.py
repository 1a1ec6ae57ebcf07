"""conv2d flattens the weight with .view, which fails on a non-contiguous weight (a transposed or sliced one) where F.conv2d works."""
FILE = "exercise1_convolution.py"
REPLACE = [
    ("wmat = weight.reshape(groups, c_out // groups, c_per_group * kh * kw)", "wmat = weight.view(groups, c_out // groups, c_per_group * kh * kw)"),
]
