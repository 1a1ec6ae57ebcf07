"""plateau_lrs multiplies by factor without the floor: the lr must never go below min_lr."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("            new_lr = max(lr * factor, min_lr)", "            new_lr = lr * factor"),
]
