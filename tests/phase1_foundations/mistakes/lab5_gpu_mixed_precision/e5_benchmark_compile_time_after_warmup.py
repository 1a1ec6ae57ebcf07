"""compile_benchmark times the compiled function's warm-up before compile_s, so compile_s is a steady call, not the compiling one."""
FILE = "exercise5_compile.py"
REPLACE = [
    ("""    sync()
    start = time.perf_counter()
    out_compiled = compiled(*args)""", """    compiled(*args)
    sync()
    start = time.perf_counter()
    out_compiled = compiled(*args)"""),
]
