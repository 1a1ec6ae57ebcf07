"""Restores the model but not the optimizer: the momentum buffers restart at zero and the resumed run drifts away."""
FILE = "exercise5_restarts.py"
REPLACE = [
    ('    optimizer.load_state_dict(state["optimizer"])\n', ''),
]
