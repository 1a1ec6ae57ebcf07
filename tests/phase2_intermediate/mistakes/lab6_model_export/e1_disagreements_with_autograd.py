"""No torch.no_grad(): every comparison records an autograd graph it never uses."""
FILE = "exercise1_torchscript.py"
REPLACE = [
    ("    with torch.no_grad():\n        for i, x in enumerate(inputs):", "    if True:\n        for i, x in enumerate(inputs):"),
]
