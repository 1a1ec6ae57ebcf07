"""cosine_warm_restarts_lr that restarts every T_0 steps whatever T_mult says (the period never grows)."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("        t_i *= T_mult\n", ""),
]
