"""count_graph_breaks returns the number of graphs, which is one more than the number of breaks."""
FILE = "exercise5_compile.py"
REPLACE = [
    ("return int(torch._dynamo.explain(fn)(*args).graph_break_count)", "return int(torch._dynamo.explain(fn)(*args).graph_count)"),
]
