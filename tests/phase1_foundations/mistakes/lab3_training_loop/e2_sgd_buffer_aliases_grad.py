"""The first momentum buffer is p.grad itself, not a copy: zero_grad(set_to_none=False) then wipes the momentum."""
FILE = 'exercise2_optimizers.py'
REPLACE = [
    ('buf = torch.clone(d_p).detach()',
     'buf = d_p'),
]
