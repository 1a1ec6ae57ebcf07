"""plateau_lrs applies every reduction: ReduceLROnPlateau skips one that would lower the lr by eps (1e-8) or less."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("            if lr - new_lr > eps:", "            if new_lr < lr:"),
]
