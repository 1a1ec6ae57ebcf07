"""plateau_lrs in mode "max" with the threshold on the wrong side: an improvement must beat best * (1 + threshold)."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ('bar = best * (1.0 + threshold) if threshold_mode == "rel" else best + threshold',
     'bar = best * (1.0 - threshold) if threshold_mode == "rel" else best - threshold'),
]
