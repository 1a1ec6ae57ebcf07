"""diagnose_gradient_flow uses <= and >= : a ratio exactly equal to threshold (or 1 / threshold) is healthy, not exploding or vanishing."""
FILE = "exercise4_hooks.py"
REPLACE = [
    ("if ratio < 1.0 / threshold:", "if ratio <= 1.0 / threshold:"),
    ("if ratio > threshold:", "if ratio >= threshold:"),
]
