"""plateau_lrs scales the threshold in "abs" mode too: an absolute threshold is subtracted, best - threshold."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ('bar = best * (1.0 - threshold) if threshold_mode == "rel" else best - threshold',
     'bar = best * (1.0 - threshold)'),
]
