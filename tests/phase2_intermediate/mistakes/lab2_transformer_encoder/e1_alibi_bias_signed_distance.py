"""alibi_bias uses the signed distance i - j: keys after the query (j > i) get a bonus that grows with the distance, instead of the penalty -m|i - j|."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("dist = (torch.arange(t_q)[:, None] - torch.arange(t_k)[None, :]).abs().to(torch.float64)",
     "dist = (torch.arange(t_q)[:, None] - torch.arange(t_k)[None, :]).to(torch.float64)"),
]
