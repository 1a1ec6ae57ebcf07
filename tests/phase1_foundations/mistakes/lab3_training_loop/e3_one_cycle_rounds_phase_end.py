"""one_cycle_lr rounds pct_start * total_steps to an integer; torch keeps the float phase end."""
FILE = 'exercise3_schedules.py'
REPLACE = [
    ('end1 = float(pct_start * total_steps) - 1',
     'end1 = float(round(pct_start * total_steps)) - 1'),
]
