"""Counts every node: the parameters, the input and the output node are counted as operators."""
FILE = "exercise2_torch_export.py"
REPLACE = [
    (' for node in program.graph_module.graph.nodes if node.op == "call_function")', " for node in program.graph_module.graph.nodes)"),
]
