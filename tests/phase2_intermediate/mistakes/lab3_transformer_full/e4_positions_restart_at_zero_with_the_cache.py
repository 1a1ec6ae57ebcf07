"""GPT.forward numbers the positions 0 .. T - 1 even with a cache: a token fed after t0 cached ones gets the position embedding of position 0."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("pos = torch.arange(t0, t0 + t, device=idx.device)", "pos = torch.arange(t, device=idx.device)"),
]
