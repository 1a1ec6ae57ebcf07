"""update() does not restart the count of clean steps after an overflow, so the scale grows too early."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("""            self.scale_value *= self.backoff_factor
            self.good_steps = 0""", """            self.scale_value *= self.backoff_factor"""),
]
