"""attention_scores writes the output letters as bhst: the result is (B, H, S, T), keys by queries, the transpose of the scores."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('return torch.einsum("bhtd,bhsd->bhts", q, k) / math.sqrt(q.shape[-1])',
     'return torch.einsum("bhtd,bhsd->bhst", q, k) / math.sqrt(q.shape[-1])'),
]
