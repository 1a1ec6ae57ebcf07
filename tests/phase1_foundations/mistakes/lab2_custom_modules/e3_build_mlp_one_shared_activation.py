"""build_mlp creates one activation and reuses the same instance between every pair of Linear layers."""
FILE = "exercise3_functions_and_containers.py"
REPLACE = [
    ("    layers: list[nn.Module] = []\n", "    layers: list[nn.Module] = []\n    act = activation()\n"),
    ("            layers.append(activation())", "            layers.append(act)"),
]
