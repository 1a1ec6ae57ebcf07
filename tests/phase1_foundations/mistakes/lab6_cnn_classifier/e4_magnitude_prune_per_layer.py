"""magnitude_prune ranks each layer's weights separately (per-layer pruning) instead of one global ranking."""
FILE = "exercise4_surgery.py"
REPLACE = [
    ("        for (name, m), part in zip(layers, torch.split(keep, [m.weight.numel() for _, m in layers])):\n            masks[name] = part.view_as(m.weight)\n",
     "        for name, m in layers:\n            s = m.weight.detach().abs().flatten()\n            kk = int(round(amount * s.numel()))\n            part = torch.ones_like(s, dtype=torch.bool)\n            if kk > 0:\n                part[torch.topk(s, kk, largest=False).indices] = False\n            masks[name] = part.view_as(m.weight)\n"),
]
