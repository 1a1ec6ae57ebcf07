"""per_sample_grads takes the gradient of the batch's mean loss and repeats it N times: every sample gets the same, averaged gradient."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('    return torch.func.vmap(torch.func.grad(loss_fn), in_dims=(None, 0, 0))(w.detach(), x, y)',
     '    def mean_loss(w_):\n'
     '        return torch.func.vmap(loss_fn, in_dims=(None, 0, 0))(w_, x, y).mean()\n'
     '\n'
     '    g = torch.func.grad(mean_loss)(w.detach())\n'
     '    return g.expand(x.shape[0], *w.shape)'),
]
