"""The cosine part ends one step early (T - W - 1 in the denominator), reaching min_lr before total_steps."""
FILE = 'exercise3_schedules.py'
REPLACE = [
    ('progress = (step - warmup_steps) / (total_steps - warmup_steps)',
     'progress = (step - warmup_steps) / (total_steps - warmup_steps - 1)'),
]
