"""Soft-target cross-entropy 'mean' taken over all N * C elements instead of over the batch."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("loss = -(probs.to(logits.dtype) * F.log_softmax(logits, dim=-1)).sum(dim=-1)\n    return _reduce(loss, reduction)",
     "loss = -(probs.to(logits.dtype) * F.log_softmax(logits, dim=-1))\n    return _reduce(loss.sum(-1) if reduction == \"none\" else loss, reduction)"),
]
