"""is_causal aligned at the bottom-right corner (tril(T_k - T_q)): F.sdpa's is_causal is top-left aligned when T_q != T_k."""
FILE = "exercise1_sdpa.py"
REPLACE = [
    ("keep = torch.ones(t_q, t_k, dtype=torch.bool, device=q.device).tril()", "keep = torch.ones(t_q, t_k, dtype=torch.bool, device=q.device).tril(t_k - t_q)"),
]
