"""hvp takes the first gradient without create_graph=True, so there is nothing to differentiate again and it returns 0."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('(g,) = torch.autograd.grad(f(x), x, create_graph=True)',
     '(g,) = torch.autograd.grad(f(x), x)'),
]
