"""conv2d passes an (h, w) padding to unfold as (w, h): asymmetric paddings pad the wrong axes."""
FILE = "exercise1_convolution.py"
REPLACE = [
    ("cols = F.unfold(x, (kh, kw), dilation=dilation, padding=padding, stride=stride)", "cols = F.unfold(x, (kh, kw), dilation=dilation, padding=padding[::-1], stride=stride)"),
    ("    h_out = conv_output_size(h, kh, stride[0], padding[0], dilation[0])\n    w_out = conv_output_size(w, kw, stride[1], padding[1], dilation[1])",
     "    h_out = conv_output_size(h, kh, stride[0], padding[1], dilation[0])\n    w_out = conv_output_size(w, kw, stride[1], padding[0], dilation[1])"),
]
