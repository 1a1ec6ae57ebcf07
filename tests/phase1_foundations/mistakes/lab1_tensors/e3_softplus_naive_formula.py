"""StableSoftplus computes log(1 + exp(x)) directly, which overflows to inf for large x."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('return torch.log1p(torch.exp(-x.abs())) + x.clamp(min=0)',
     'return torch.log(1 + torch.exp(x))'),
]
