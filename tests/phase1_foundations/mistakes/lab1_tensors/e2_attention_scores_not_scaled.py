"""attention_scores returns the raw dot products q . k and forgets the 1 / sqrt(D) scale."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('return torch.einsum("bhtd,bhsd->bhts", q, k) / math.sqrt(q.shape[-1])',
     'return torch.einsum("bhtd,bhsd->bhts", q, k)'),
]
