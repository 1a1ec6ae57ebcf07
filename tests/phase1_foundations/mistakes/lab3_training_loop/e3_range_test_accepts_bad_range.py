"""lr_range_test does not check its arguments: start_lr >= end_lr runs a meaningless sweep."""
FILE = 'exercise3_schedules.py'
REPLACE = [
    ('    if not 0 < start_lr < end_lr:\n        raise ValueError(f"need 0 < start_lr < end_lr, got {start_lr} and {end_lr}")\n',
     ''),
]
