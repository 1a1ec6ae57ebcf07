"""The non-core names are listed in graph order, not sorted."""
FILE = "exercise2_torch_export.py"
REPLACE = [
    ("    leftover = set()", "    leftover = []"),
    ("                leftover.add(str(node.target))", "                if str(node.target) not in leftover:\n                    leftover.append(str(node.target))"),
    ("    return core, sorted(leftover)", "    return core, leftover"),
]
