"""greedy_translate stops as soon as ANY row has produced EOS: the longer rows are cut short."""
FILE = "exercise2_training.py"
REPLACE = [
    ("        if done.all():\n            break", "        if done.any():\n            break"),
]
