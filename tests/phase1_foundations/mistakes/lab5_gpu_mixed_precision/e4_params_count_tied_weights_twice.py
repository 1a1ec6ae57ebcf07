"""memory_breakdown walks every module's own parameters, so a tied weight shared by two modules counts twice."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("    params = list(model.parameters())\n    out = {", "    params = [p for m in model.modules() for p in m.parameters(recurse=False)]\n    out = {"),
]
