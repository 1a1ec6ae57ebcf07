"""count_compilations does not reset Dynamo: the graphs and size history of earlier calls change the count."""
FILE = "exercise5_compile.py"
REPLACE = [
    ("    torch._dynamo.reset()\n    compiled_graphs = 0\n", "    compiled_graphs = 0\n"),
]
