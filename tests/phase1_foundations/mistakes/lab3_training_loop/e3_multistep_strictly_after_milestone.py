"""multistep_lr that decays only after a milestone (bisect_left): at the milestone step itself MultiStepLR is already decayed."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("bisect.bisect_right(sorted(milestones), step)", "bisect.bisect_left(sorted(milestones), step)"),
]
