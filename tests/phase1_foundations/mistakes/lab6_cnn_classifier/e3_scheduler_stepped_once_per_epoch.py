"""train_classifier steps the one-cycle schedule once per epoch instead of once per batch, so the rate never ramps up."""
FILE = "exercise3_training.py"
REPLACE = [
    ("            scaler.update()\n            sched.step()\n", "            scaler.update()\n"),
    ("        history.append(total / count)\n", "        sched.step()\n        history.append(total / count)\n"),
]
