"""Value.backward does not remember visited nodes, so a node used twice runs its _backward twice."""
FILE = "exercise4_micrograd.py"
REPLACE = [
    ('            if id(node) in visited:\n                continue\n',
     ''),
    ('                if id(inp) not in visited:\n                    stack.append((inp, False))',
     '                stack.append((inp, False))'),
]
