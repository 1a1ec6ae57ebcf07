"""The causal mask is tril(-1): a query may not attend to its own position, and query 0 sees nothing."""
FILE = "exercise1_sdpa.py"
REPLACE = [
    ("keep = torch.ones(t_q, t_k, dtype=torch.bool, device=q.device).tril()", "keep = torch.ones(t_q, t_k, dtype=torch.bool, device=q.device).tril(-1)"),
]
