"""swap_activation builds one new() and puts that same instance everywhere, instead of a fresh module per replacement."""
FILE = "exercise4_surgery.py"
REPLACE = [
    ("    replaced = 0\n    for parent in list(out.modules()):", "    replaced = 0\n    shared = new()\n    for parent in list(out.modules()):"),
    ("setattr(parent, name, new())", "setattr(parent, name, shared)"),
]
