"""Linear(0, n) with the bound clamped to 1/sqrt(max(in_features, 1)): the bias is drawn from U(-1, 1) instead of being 0, as nn.Linear does."""
FILE = "exercise1_modules_from_parts.py"
REPLACE = [
    ("bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0",
     "bound = 1.0 / math.sqrt(max(self.in_features, 1))"),
]
