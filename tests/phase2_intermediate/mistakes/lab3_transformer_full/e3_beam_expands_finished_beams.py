"""Beam search records an EOS candidate but keeps it live too: finished beams keep expanding past their EOS."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("""                finished.append((toks, flat[i].item() / length_penalty(len(toks), alpha)))
            else:
                live_next.append((toks, flat[i].item()))""",
     """                finished.append((toks, flat[i].item() / length_penalty(len(toks), alpha)))
            live_next.append((toks, flat[i].item()))"""),
]
