"""LeNet pools with AvgPool2d instead of MaxPool2d: same shapes and parameter count, different function."""
FILE = "exercise2_architectures.py"
REPLACE = [
    ("self.pool = nn.MaxPool2d(2)", "self.pool = nn.AvgPool2d(2)"),
]
