"""Beam search stores the live beams' scores normalised by lp(len) and keeps adding raw log-probabilities to them: pruning and final scores no longer use log p / lp(|y|)."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("                live_next.append((toks, flat[i].item()))",
     "                live_next.append((toks, flat[i].item() / length_penalty(len(toks), alpha)))"),
]
