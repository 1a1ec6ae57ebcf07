"""Beam search scores finished hypotheses by the raw log-probability: alpha is ignored, so the shortest outputs win."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("finished.append((toks, flat[i].item() / length_penalty(len(toks), alpha)))", "finished.append((toks, flat[i].item()))"),
    ("finished += [(toks, s / length_penalty(len(toks), alpha)) for toks, s in live]", "finished += live"),
]
