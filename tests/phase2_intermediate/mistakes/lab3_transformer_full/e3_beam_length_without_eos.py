"""Beam search normalises a finished hypothesis by lp(len - 1), not counting its EOS: |y| counts EOS (and not BOS)."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("finished.append((toks, flat[i].item() / length_penalty(len(toks), alpha)))",
     "finished.append((toks, flat[i].item() / length_penalty(len(toks) - 1, alpha)))"),
]
