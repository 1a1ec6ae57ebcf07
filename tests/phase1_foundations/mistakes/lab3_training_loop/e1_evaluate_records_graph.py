"""evaluate runs without torch.no_grad(): autograd records a graph for every validation batch."""
FILE = 'exercise1_training_loop.py'
REPLACE = [
    ('    with torch.no_grad():\n        for x, y in loader:',
     '    if True:\n        for x, y in loader:'),
]
