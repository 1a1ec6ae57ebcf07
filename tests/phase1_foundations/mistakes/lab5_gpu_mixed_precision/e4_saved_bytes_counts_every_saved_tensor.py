"""saved_tensor_bytes adds up every saved tensor, so memory saved twice (x * x) or shared by views counts more than once."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("            storages[ptr] = t.untyped_storage().nbytes()", "            storages[len(storages)] = t.untyped_storage().nbytes()"),
]
