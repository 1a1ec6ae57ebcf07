"""saved_tensor_bytes counts a saved view's own elements, but the whole storage behind it stays alive."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("            storages[ptr] = t.untyped_storage().nbytes()", "            storages[ptr] = t.numel() * t.element_size()"),
]
