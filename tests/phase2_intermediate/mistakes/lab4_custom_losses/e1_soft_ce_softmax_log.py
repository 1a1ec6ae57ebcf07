"""Soft-target cross-entropy from softmax(x).log(): -inf times a zero probability is nan at logits of +-100."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("loss = -(probs.to(logits.dtype) * F.log_softmax(logits, dim=-1)).sum(dim=-1)",
     "loss = -(probs.to(logits.dtype) * F.softmax(logits, dim=-1).log()).sum(dim=-1)"),
]
