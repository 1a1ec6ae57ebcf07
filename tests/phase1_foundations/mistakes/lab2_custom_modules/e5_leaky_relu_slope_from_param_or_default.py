"""calculate_gain takes the slope as `param or 0.01`: an explicit slope of 0 becomes 0.01 (the gain of leaky_relu with slope 0 is sqrt(2))."""
FILE = "exercise5_initialization.py"
REPLACE = [
    ("slope = 0.01 if param is None else float(param)", "slope = float(param or 0.01)"),
]
