"""plateau_lrs asks "is it worse?" instead of "is it better?": a NaN is then never worse, and becomes the best."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("            improved = current < bar", "            improved = not current >= bar"),
]
