"""update() halves and doubles the scale whatever backoff_factor and growth_factor the scaler was built with."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("self.scale_value *= self.backoff_factor", "self.scale_value *= 0.5"),
    ("self.scale_value *= self.growth_factor", "self.scale_value *= 2.0"),
]
