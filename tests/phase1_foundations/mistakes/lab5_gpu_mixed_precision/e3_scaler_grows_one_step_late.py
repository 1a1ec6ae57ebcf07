"""update() grows the scale only after growth_interval + 1 clean steps (off by one in the counter)."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("if self.good_steps == self.growth_interval:", "if self.good_steps > self.growth_interval:"),
]
