"""The accuracy pass runs with autograd on: every chunk records a graph nobody will differentiate."""
FILE = "exercise5_benchmark.py"
REPLACE = [
    ("        with torch.no_grad():\n            return torch.cat(", "        if True:\n            return torch.cat("),
]
