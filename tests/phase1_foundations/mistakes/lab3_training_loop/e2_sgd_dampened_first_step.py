"""SGD dampens the first momentum buffer too; torch starts it at b = g undampened."""
FILE = 'exercise2_optimizers.py'
REPLACE = [
    ('buf = torch.clone(d_p).detach()',
     'buf = torch.clone(d_p).detach().mul_(1 - dampening)'),
]
