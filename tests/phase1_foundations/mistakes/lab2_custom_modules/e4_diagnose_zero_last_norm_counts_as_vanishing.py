"""diagnose_gradient_flow takes the ratio as 0 whenever the last norm is 0: a gradient x / 0 with x > 0 is exploding, not vanishing."""
FILE = "exercise4_hooks.py"
REPLACE = [
    ('ratio = 0.0 if first == 0.0 else float("inf")', "ratio = 0.0"),
]
