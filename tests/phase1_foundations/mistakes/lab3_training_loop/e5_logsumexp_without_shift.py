"""logsumexp computed as log(sum(exp(x))) without subtracting the max: overflows for large entries."""
FILE = 'exercise5_losses.py'
REPLACE = [
    ('out = m + torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))',
     'out = torch.log(torch.exp(x).sum(dim=dim, keepdim=True))'),
]
