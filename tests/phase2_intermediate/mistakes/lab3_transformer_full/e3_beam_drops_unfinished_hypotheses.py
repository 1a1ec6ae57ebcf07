"""Beam search returns only the hypotheses that emitted EOS: beams still live after max_len tokens are lost."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("    finished += [(toks, s / length_penalty(len(toks), alpha)) for toks, s in live]\n", ""),
]
