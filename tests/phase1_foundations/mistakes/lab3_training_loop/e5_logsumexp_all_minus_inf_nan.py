"""logsumexp subtracts max = -inf from an all -inf slice: -inf - (-inf) = NaN."""
FILE = 'exercise5_losses.py'
REPLACE = [
    ('    m = torch.where(torch.isinf(m), torch.zeros_like(m), m)\n',
     ''),
]
