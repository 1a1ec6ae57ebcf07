"""multistep_lr that assumes the milestones come sorted: milestones [20, 5] count wrongly."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("bisect.bisect_right(sorted(milestones), step)", "bisect.bisect_right(list(milestones), step)"),
]
