"""Every recorded warning is returned, not only the TracerWarnings: the model's own UserWarning is listed as a tracing problem."""
FILE = "exercise1_torchscript.py"
REPLACE = [
    ("        if issubclass(w.category, torch.jit.TracerWarning):", "        if True:"),
]
