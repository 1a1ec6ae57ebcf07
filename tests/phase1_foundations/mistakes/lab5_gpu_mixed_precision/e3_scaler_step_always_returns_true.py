"""step() returns True even when it skipped the optimizer step for inf/NaN gradients."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("        self.found_inf = found_inf\n        if found_inf:\n            return False", "        self.found_inf = found_inf\n        if found_inf:\n            return True"),
]
