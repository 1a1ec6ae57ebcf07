"""margin_ranking_loss subtracts the margin: a pair counts as ranked once it is within margin of the wrong order, not margin beyond the right one."""
FILE = "exercise4_backward.py"
REPLACE = [
    ("torch.clamp(-y * (x1 - x2) + margin, min=0.0)", "torch.clamp(-y * (x1 - x2) - margin, min=0.0)"),
]
