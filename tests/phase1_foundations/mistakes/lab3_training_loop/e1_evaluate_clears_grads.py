"""evaluate calls model.zero_grad() (copied from the training loop): it wipes gradients it must not touch."""
FILE = 'exercise1_training_loop.py'
REPLACE = [
    ('    model.eval()\n',
     '    model.eval()\n    model.zero_grad(set_to_none=True)\n'),
]
