"""margin_ranking_loss uses max(0, y (x1 - x2) + margin): it penalises the right order and rewards the wrong one."""
FILE = "exercise4_backward.py"
REPLACE = [
    ("torch.clamp(-y * (x1 - x2) + margin, min=0.0)", "torch.clamp(y * (x1 - x2) + margin, min=0.0)"),
]
