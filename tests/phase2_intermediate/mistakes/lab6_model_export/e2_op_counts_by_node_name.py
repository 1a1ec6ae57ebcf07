"""Keys by node.name instead of str(node.target): names are unique per node ("linear", "linear_1"), so every count is 1."""
FILE = "exercise2_torch_export.py"
REPLACE = [
    ("Counter(str(node.target) for node", "Counter(node.name for node"),
]
