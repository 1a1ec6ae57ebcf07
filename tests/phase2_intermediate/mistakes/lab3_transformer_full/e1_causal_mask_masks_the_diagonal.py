"""causal_mask with triu(0): the diagonal is masked too, so position i cannot see itself and row 0 sees nothing."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("return torch.ones(t, t, dtype=torch.bool, device=device).triu(1)",
     "return torch.ones(t, t, dtype=torch.bool, device=device).triu(0)"),
]
