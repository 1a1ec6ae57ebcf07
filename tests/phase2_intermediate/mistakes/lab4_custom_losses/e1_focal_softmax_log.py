"""Multi-class focal loss from softmax(x).log(): -inf (and nan gradients) once the softmax underflows at logits of +-100."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("logp_y = F.log_softmax(logits, dim=-1).gather(1, target[:, None]).squeeze(1)",
     "logp_y = F.softmax(logits, dim=-1).log().gather(1, target[:, None]).squeeze(1)"),
]
