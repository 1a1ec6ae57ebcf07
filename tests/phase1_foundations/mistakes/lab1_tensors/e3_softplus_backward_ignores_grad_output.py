"""StableSoftplus backward returns sigmoid(x) and drops grad_output, so the chain rule stops there."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('return grad_output * torch.sigmoid(x)',
     'return torch.sigmoid(x)'),
]
