"""per_sample_grads loops over the samples with one torch.autograd.grad per sample: right values, but N calls of loss_fn and N backward passes instead of one vectorised call."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('    return torch.func.vmap(torch.func.grad(loss_fn), in_dims=(None, 0, 0))(w.detach(), x, y)',
     '    w = w.detach().requires_grad_(True)\n'
     '    return torch.stack([torch.autograd.grad(loss_fn(w, x[i], y[i]), w)[0] for i in range(x.shape[0])])'),
]
