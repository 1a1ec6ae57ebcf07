"""count_compilations drops the dynamic argument: dynamic=False and dynamic=True behave like the default."""
FILE = "exercise5_compile.py"
REPLACE = [
    ("compiled = torch.compile(fn, backend=counting_backend, dynamic=dynamic)", "compiled = torch.compile(fn, backend=counting_backend)"),
]
