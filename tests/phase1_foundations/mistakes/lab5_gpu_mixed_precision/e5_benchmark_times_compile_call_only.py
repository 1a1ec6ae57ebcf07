"""compile_benchmark times torch.compile(fn) itself, which is lazy and returns at once; compilation happens at the first call."""
FILE = "exercise5_compile.py"
REPLACE = [
    ("""    torch._dynamo.reset()
    compiled = torch.compile(fn, backend=backend)""", """    torch._dynamo.reset()
    t0 = time.perf_counter()
    compiled = torch.compile(fn, backend=backend)
    compile_only_s = time.perf_counter() - t0"""),
    ("    compile_s = time.perf_counter() - start\n", "    compile_s = compile_only_s\n"),
]
