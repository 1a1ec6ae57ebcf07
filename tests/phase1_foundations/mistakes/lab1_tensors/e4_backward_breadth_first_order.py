"""Value.backward runs the closures in breadth-first order from the output, which is not a topological order."""
FILE = "exercise4_micrograd.py"
REPLACE = [
    ('        order: list[Value] = []\n',
     '        import collections\n        bfs, seen, queue = [], {id(self)}, collections.deque([self])\n        while queue:\n            n = queue.popleft()\n            bfs.append(n)\n            for c in n._inputs:\n                if id(c) not in seen:\n                    seen.add(id(c))\n                    queue.append(c)\n        order: list[Value] = []\n'),
    ('        for node in reversed(order):\n            node._backward()\n',
     '        for node in bfs:\n            node._backward()\n'),
]
