"""plateau_lrs counts a metric exactly at the threshold as an improvement (<=): ReduceLROnPlateau needs strictly better."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("            improved = current < bar", "            improved = current <= bar"),
    ("            improved = current > bar", "            improved = current >= bar"),
]
