"""Loads the checkpoint but loops from step 0 again: the restarted run trains the steps before the checkpoint twice."""
FILE = "exercise5_restarts.py"
REPLACE = [
    ("    for step in range(start, steps):", "    for step in range(steps):"),
]
