"""lr_range_test sets the lr of the first param group only; the others train at their own lr."""
FILE = 'exercise3_schedules.py'
REPLACE = [
    ('            for group in optimizer.param_groups:\n                group["lr"] = lr',
     '            optimizer.param_groups[0]["lr"] = lr'),
]
