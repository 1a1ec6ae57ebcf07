"""autocast_train_step steps through the scaler but never calls scaler.update(), so the scale never changes."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("        scaler.step(optimizer)\n        scaler.update()\n    return", "        scaler.step(optimizer)\n    return"),
]
