"""GradNormRecorder records the norm of grad_input (dloss/d(layer input)) instead of grad_output (dloss/d(layer output))."""
FILE = "exercise4_hooks.py"
REPLACE = [
    ("self.norms[name].append(grad_output[0].detach().norm().item())",
     "self.norms[name].append((grad_input[0] if grad_input[0] is not None else grad_output[0]).detach().norm().item())"),
]
