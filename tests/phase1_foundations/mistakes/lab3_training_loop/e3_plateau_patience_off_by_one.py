"""plateau_lrs reduces once the bad epochs reach patience (>=): ReduceLROnPlateau tolerates patience bad epochs and reduces on the next."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("        if num_bad > patience:", "        if num_bad >= patience:"),
]
