"""Squared distances not clamped at 0: the Gram formula rounds below 0 far from the origin, and the mask leaves negatives."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("d2 = (sq[:, None] + sq[None, :] - 2.0 * emb @ emb.T).clamp_min(0.0)",
     "d2 = sq[:, None] + sq[None, :] - 2.0 * emb @ emb.T"),
    ("return torch.sqrt(d2.clamp_min(eps)) * (~zero)",
     "return torch.sign(d2) * torch.sqrt(d2.abs().clamp_min(eps)) * (~zero)"),
]
