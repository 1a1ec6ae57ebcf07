"""Saves the index of the step just taken instead of the number of steps done: the resumed run repeats one step."""
FILE = "exercise5_restarts.py"
REPLACE = [
    ("save_checkpoint(checkpoint, model, optimizer, step + 1)", "save_checkpoint(checkpoint, model, optimizer, step)"),
]
