"""conv_output_size raises ValueError when the kernel exactly fills the padded input, where one output position exists."""
FILE = "exercise1_convolution.py"
REPLACE = [
    ("    if span > padded:\n", "    if span >= padded:\n"),
]
