"""lr_range_test records the raw moving average: the first smoothed losses are far too small."""
FILE = 'exercise3_schedules.py'
REPLACE = [
    ('smoothed = avg / (1 - smoothing ** (i + 1))',
     'smoothed = avg'),
]
