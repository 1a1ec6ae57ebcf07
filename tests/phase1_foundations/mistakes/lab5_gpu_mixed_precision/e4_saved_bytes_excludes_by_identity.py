"""saved_tensor_bytes excludes only the very tensor objects given, but autograd saves views of the weights (W.t())."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("    skip = {t.untyped_storage().data_ptr() for t in exclude}", "    exclude = list(exclude)\n    skip = set()"),
    ("        if ptr not in skip:", "        if not any(t is e for e in exclude):"),
]
