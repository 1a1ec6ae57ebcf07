"""greedy_translate switches the model to eval() and never restores it: training continues with dropout off."""
FILE = "exercise2_training.py"
REPLACE = [
    ("    model.train(was_training)\n    out = []", "    out = []"),
]
