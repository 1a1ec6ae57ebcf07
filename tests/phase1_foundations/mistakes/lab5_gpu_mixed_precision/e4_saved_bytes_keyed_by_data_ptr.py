"""saved_tensor_bytes tells storages apart by the tensor's data_ptr, so two views at different offsets of one storage count twice."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("        ptr = t.untyped_storage().data_ptr()\n        if ptr not in skip:", "        ptr = t.data_ptr()\n        if ptr not in skip:"),
]
