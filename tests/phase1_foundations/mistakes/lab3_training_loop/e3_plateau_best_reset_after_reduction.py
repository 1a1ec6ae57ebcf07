"""plateau_lrs forgets the best after a reduction: the next epoch then always counts as an improvement."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("            cooldown_left, num_bad = cooldown, 0",
     '            cooldown_left, num_bad, best = cooldown, 0, (math.inf if mode == "min" else -math.inf)'),
]
