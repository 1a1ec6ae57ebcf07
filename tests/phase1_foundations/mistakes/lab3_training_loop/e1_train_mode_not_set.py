"""train_one_epoch never calls model.train(): after an evaluation dropout stays off for the whole epoch."""
FILE = 'exercise1_training_loop.py'
REPLACE = [
    ('    model.train()\n    total, count = 0.0, 0',
     '    total, count = 0.0, 0'),
]
