"""suggest_lr keeps the last of equally steep pairs (<=) instead of the first."""
FILE = 'exercise3_schedules.py'
REPLACE = [
    ('        if slope < best_slope:',
     '        if slope <= best_slope:'),
]
