"""warmup_cosine_lr that refuses a warm-up from exactly 0 (0 < s0): the usual convention in language-model training code."""
FILE = "exercise3_schedules.py"
REPLACE = [
    ("    if not 0.0 <= warmup_start_factor <= 1.0:\n", "    if not 0.0 < warmup_start_factor <= 1.0:\n"),
]
