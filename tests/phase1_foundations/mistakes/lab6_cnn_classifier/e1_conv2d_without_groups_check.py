"""conv2d without the channel/groups check: a weight that does not fit x fails deep inside view/reshape instead of a clear ValueError."""
FILE = "exercise1_convolution.py"
REPLACE = [
    ("    if c_in != c_per_group * groups or c_out % groups != 0:\n        raise ValueError(", "    if False:\n        raise ValueError("),
]
