"""top-p scatters the sorted keep-mask back by position: of two tokens tied at the boundary only the one sorted first is kept."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("sorted_p, _ = probs.sort(dim=-1, descending=True)", "sorted_p, order = probs.sort(dim=-1, descending=True)"),
    ('return logits.masked_fill(probs < cutoff, float("-inf"))',
     'return logits.masked_fill(~kept.scatter(-1, order, kept), float("-inf"))'),
]
