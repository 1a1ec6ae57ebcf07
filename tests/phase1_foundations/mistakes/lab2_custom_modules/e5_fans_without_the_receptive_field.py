"""calculate_fan_in_and_fan_out ignores the kernel dims: a conv weight (out, in, k, k) gets fan_in = in instead of in * k * k."""
FILE = "exercise5_initialization.py"
REPLACE = [
    ("return tensor.shape[1] * receptive, tensor.shape[0] * receptive", "return tensor.shape[1], tensor.shape[0]"),
]
