"""Modulating factor (1 - p)^gamma on the positive-class probability, not (1 - p_t)^gamma: easy negatives are not discounted."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("wrong = t * torch.sigmoid(-logits) + (1 - t) * torch.sigmoid(logits)",
     "wrong = torch.sigmoid(-logits)"),
]
