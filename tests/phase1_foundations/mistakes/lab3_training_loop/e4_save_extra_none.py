"""save_checkpoint stores extra as given: without extra the checkpoint holds None, not the documented {}."""
FILE = "exercise4_healthy_training.py"
REPLACE = [
    ('"extra": dict(extra or {}),', '"extra": extra,'),
]
