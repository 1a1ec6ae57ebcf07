"""GradNormRecorder appends the norm as a 0-d tensor instead of a float (.item()): the docstring asks for floats."""
FILE = "exercise4_hooks.py"
REPLACE = [
    ("self.norms[name].append(grad_output[0].detach().norm().item())", "self.norms[name].append(grad_output[0].detach().norm())"),
]
