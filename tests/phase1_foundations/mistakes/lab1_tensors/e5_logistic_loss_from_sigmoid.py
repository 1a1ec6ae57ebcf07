"""logistic_regression_grads computes the loss as -y log(sigmoid(z)) - ..., which is inf for huge logits."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('loss = (z.clamp(min=0) + torch.log1p(torch.exp(-z.abs())) - y * z).mean()',
     's = torch.sigmoid(z)\n    loss = (-y * torch.log(s) - (1 - y) * torch.log(1 - s)).mean()'),
]
