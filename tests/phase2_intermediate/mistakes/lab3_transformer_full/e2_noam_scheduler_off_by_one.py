"""noam_scheduler's lambda is k -> noam_lr(k), guarded at 0: the rates lag one step behind (two steps at noam_lr(1))."""
FILE = "exercise2_training.py"
REPLACE = [
    ("lambda k: noam_lr(k + 1, d_model, warmup, factor)", "lambda k: noam_lr(max(k, 1), d_model, warmup, factor)"),
]
