"""Bottleneck puts the stride on the first 1x1 convolution (ResNet v1) instead of the 3x3 one, which the docstring asks for."""
FILE = "exercise2_architectures.py"
REPLACE = [
    ("self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)", "self.conv1 = nn.Conv2d(in_channels, width, 1, stride=stride, bias=False)"),
    ("self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)", "self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)"),
]
