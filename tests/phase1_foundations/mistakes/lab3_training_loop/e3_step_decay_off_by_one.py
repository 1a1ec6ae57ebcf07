"""step_decay_lr decays one step early ((step + 1) // step_size)."""
FILE = 'exercise3_schedules.py'
REPLACE = [
    ('gamma ** (step // step_size)',
     'gamma ** ((step + 1) // step_size)'),
]
