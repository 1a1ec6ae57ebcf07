"""SGD keeps a momentum buffer even with momentum 0: same numbers, but state that torch.optim.SGD never has."""
FILE = 'exercise2_optimizers.py'
REPLACE = [
    ('                if momentum != 0:\n                    state = self.state[p]',
     '                if True:\n                    state = self.state[p]'),
]
