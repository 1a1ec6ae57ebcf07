"""infonce_lower_bound uses log(N - 1), the number of negatives, instead of log N, the number of candidates."""
FILE = "exercise3_infonce.py"
REPLACE = [
    ("    return math.log(n) - F.cross_entropy(scores, torch.arange(n, device=scores.device))\n",
     "    return math.log(max(n - 1, 1)) - F.cross_entropy(scores, torch.arange(n, device=scores.device))\n"),
]
