"""gradient_flow_report reports the biased std (divide by n): the docstring asks for torch's default, unbiased std."""
FILE = "exercise4_hooks.py"
REPLACE = [
    ("stds[name] = output.detach().std().item()", "stds[name] = output.detach().std(correction=0).item()"),
]
