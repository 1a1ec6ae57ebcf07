"""per_sample_grads differentiates with respect to the sample x_i (argnums=1) instead of the weights w."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('torch.func.vmap(torch.func.grad(loss_fn), in_dims=(None, 0, 0))',
     'torch.func.vmap(torch.func.grad(loss_fn, argnums=1), in_dims=(None, 0, 0))'),
]
