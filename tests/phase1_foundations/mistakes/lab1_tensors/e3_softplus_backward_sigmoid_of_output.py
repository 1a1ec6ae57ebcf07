"""StableSoftplus backward applies sigmoid to the output softplus(x) instead of to x."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('        ctx.save_for_backward(x)\n        return torch.log1p(torch.exp(-x.abs())) + x.clamp(min=0)\n',
     '        out = torch.log1p(torch.exp(-x.abs())) + x.clamp(min=0)\n        ctx.save_for_backward(out)\n        return out\n'),
]
