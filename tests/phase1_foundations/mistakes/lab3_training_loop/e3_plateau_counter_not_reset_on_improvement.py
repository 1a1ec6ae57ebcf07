"""plateau_lrs keeps counting bad epochs across an improvement: patience is about bad epochs in a row, not in total."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("            best, num_bad = current, 0", "            best = current"),
]
