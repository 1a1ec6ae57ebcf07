"""EarlyStopping in mode "max" counts a value equal to best + min_delta as an improvement (>= for >): a plateau never stops."""
FILE = "exercise4_healthy_training.py"
REPLACE = [
    ("else value > self.best + self.min_delta", "else value >= self.best + self.min_delta"),
]
