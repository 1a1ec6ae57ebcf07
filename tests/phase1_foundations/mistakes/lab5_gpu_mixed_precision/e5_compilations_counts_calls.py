"""count_compilations counts the calls of the compiled function, not the graphs the backend compiled."""
FILE = "exercise5_compile.py"
REPLACE = [
    ("    for x in inputs:\n        compiled(x)\n    return compiled_graphs\n",
     "    calls = 0\n    for x in inputs:\n        compiled(x)\n        calls += 1\n    return calls\n"),
]
