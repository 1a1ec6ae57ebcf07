"""StableSoftplus uses log(1 + exp(-|x|)) instead of log1p: for x below about -17 it rounds to 0 instead of exp(x)."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('return torch.log1p(torch.exp(-x.abs())) + x.clamp(min=0)',
     'return torch.log(1 + torch.exp(-x.abs())) + x.clamp(min=0)'),
]
