"""plateau_lrs subtracts the threshold in "rel" mode too: a relative threshold scales with the best, best * (1 - threshold)."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ('bar = best * (1.0 - threshold) if threshold_mode == "rel" else best - threshold',
     'bar = best - threshold'),
]
