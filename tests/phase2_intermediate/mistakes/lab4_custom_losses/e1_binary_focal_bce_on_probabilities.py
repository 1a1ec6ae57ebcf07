"""Binary focal loss through F.binary_cross_entropy(sigmoid(x), t): its log is clamped at -100, so a logit of -1000 costs 100."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("ce = -(t * F.logsigmoid(logits) + (1 - t) * F.logsigmoid(-logits))",
     "ce = F.binary_cross_entropy(torch.sigmoid(logits), t, reduction=\"none\")"),
]
