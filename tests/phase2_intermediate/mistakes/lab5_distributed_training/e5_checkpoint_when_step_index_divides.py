"""Saves when the step INDEX is a multiple of every (after steps 1, 5, 9): the last checkpoint is not the run's end."""
FILE = "exercise5_restarts.py"
REPLACE = [
    ("        if (step + 1) % every == 0:", "        if step % every == 0:"),
]
