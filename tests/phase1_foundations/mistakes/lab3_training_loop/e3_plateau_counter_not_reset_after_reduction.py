"""plateau_lrs does not restart the count after a reduction: once reduced, it reduces again at every bad epoch."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("            cooldown_left, num_bad = cooldown, 0", "            cooldown_left = cooldown"),
]
