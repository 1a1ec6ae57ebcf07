"""lr_range_test grows the lr as i / num_steps instead of i / (num_steps - 1): it never reaches end_lr."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("lr = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))",
     "lr = start_lr * (end_lr / start_lr) ** (i / num_steps)"),
]
