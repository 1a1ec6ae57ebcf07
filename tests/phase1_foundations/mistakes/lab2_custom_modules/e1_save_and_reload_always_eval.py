"""save_and_reload puts the reloaded model in eval mode whatever the original's mode: a model saved mid-training comes back in eval."""
FILE = "exercise1_modules_from_parts.py"
REPLACE = [
    ("fresh.train(model.training)", "fresh.eval()"),
]
