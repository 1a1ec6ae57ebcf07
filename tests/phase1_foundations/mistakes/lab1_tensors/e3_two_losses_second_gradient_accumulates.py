"""grads_of_two_losses does not clear w.grad between the two backward calls, so the second gradient is dloss1/dw + dloss2/dw."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('    g1 = w.grad.clone()\n    w.grad = None\n',
     '    g1 = w.grad.clone()\n'),
]
