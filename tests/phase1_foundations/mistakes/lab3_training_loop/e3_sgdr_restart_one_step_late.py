"""cosine_warm_restarts_lr that restarts one step late (t_cur > t_i): the lr reaches eta_min instead of restarting at base_lr."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("    while t_cur >= t_i:\n", "    while t_cur > t_i:\n"),
]
