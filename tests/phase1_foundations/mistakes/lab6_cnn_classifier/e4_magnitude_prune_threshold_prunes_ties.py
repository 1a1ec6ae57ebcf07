"""magnitude_prune keeps only weights above the k-th smallest |w|: on ties at the threshold it prunes more than round(amount * total)."""
FILE = "exercise4_surgery.py"
REPLACE = [
    ("            keep[torch.topk(scores, k, largest=False).indices] = False", "            keep = scores > scores.kthvalue(k).values"),
]
