"""compile_benchmark does not reset Dynamo, so a function compiled before is not compiled again and compile_s measures a cached call."""
FILE = "exercise5_compile.py"
REPLACE = [
    ("""    torch._dynamo.reset()
    compiled = torch.compile(fn, backend=backend)""", """    compiled = torch.compile(fn, backend=backend)"""),
]
