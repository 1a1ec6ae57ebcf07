"""BasicBlock strides its second 3x3 convolution instead of the first: same shapes and parameters, but conv1 runs at full resolution."""
FILE = "exercise2_architectures.py"
REPLACE = [
    ("self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)", "self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)"),
    ("self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)", "self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=stride, padding=1, bias=False)"),
]
