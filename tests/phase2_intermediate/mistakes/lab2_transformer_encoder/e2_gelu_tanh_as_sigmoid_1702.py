"""gelu(approximate="tanh") returns the sigmoid approximation x * sigmoid(1.702 x): a different approximation from F.gelu's tanh formula."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ("return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))", "return x * torch.sigmoid(1.702 * x)"),
]
