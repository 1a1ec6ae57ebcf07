"""conv2d hands the work to torch.ops.aten.conv2d, the library kernel, instead of building it from unfold and a matrix product."""
FILE = "exercise1_convolution.py"
REPLACE = [
    ("    cols = F.unfold(x, (kh, kw), dilation=dilation, padding=padding, stride=stride)  # (N, C_in*kh*kw, L)\n",
     "    return torch.ops.aten.conv2d(x, weight, bias, list(stride), list(padding), list(dilation), groups)\n"
     "    cols = F.unfold(x, (kh, kw), dilation=dilation, padding=padding, stride=stride)  # (N, C_in*kh*kw, L)\n"),
]
