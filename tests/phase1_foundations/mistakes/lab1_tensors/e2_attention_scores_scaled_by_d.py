"""attention_scores divides by D instead of sqrt(D): the scores come out sqrt(D) times too small."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('return torch.einsum("bhtd,bhsd->bhts", q, k) / math.sqrt(q.shape[-1])',
     'return torch.einsum("bhtd,bhsd->bhts", q, k) / q.shape[-1]'),
]
