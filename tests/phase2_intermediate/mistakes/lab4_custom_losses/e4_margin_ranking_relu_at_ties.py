"""margin_ranking_loss with F.relu: at margin 0 tied scores get a zero gradient (nn.MarginRankingLoss's clamp gives -y), so equal scores never separate."""
FILE = "exercise4_backward.py"
REPLACE = [
    ("torch.clamp(-y * (x1 - x2) + margin, min=0.0)", "F.relu(-y * (x1 - x2) + margin)"),
]
