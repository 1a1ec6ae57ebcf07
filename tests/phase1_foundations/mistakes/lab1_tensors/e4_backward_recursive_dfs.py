"""Value.backward builds the order by recursion, which exceeds Python's recursion limit on a deep graph."""
FILE = "exercise4_micrograd.py"
REPLACE = [
    ('        order: list[Value] = []\n',
     '        order: list[Value] = []\n        seen: set[int] = set()\n\n        def visit(n):\n            if id(n) not in seen:\n                seen.add(id(n))\n                for c in n._inputs:\n                    visit(c)\n                order.append(n)\n\n        visit(self)\n        self.grad = 1.0\n        for node in reversed(order):\n            node._backward()\n        return\n'),
]
