"""plateau_lrs counts the cooldown down but still counts its epochs as bad: the cooldown then changes nothing."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("            num_bad = 0  # an epoch in the cooldown is never a bad epoch\n", ""),
]
