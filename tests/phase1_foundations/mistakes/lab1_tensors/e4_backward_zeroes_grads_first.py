"""Value.backward resets every node's grad to 0 first, so a second backward wipes the first one's gradients instead of adding to them."""
FILE = "exercise4_micrograd.py"
REPLACE = [
    ('        self.grad = 1.0\n        for node in reversed(order):',
     '        for node in order:\n            node.grad = 0.0\n        self.grad = 1.0\n        for node in reversed(order):'),
]
