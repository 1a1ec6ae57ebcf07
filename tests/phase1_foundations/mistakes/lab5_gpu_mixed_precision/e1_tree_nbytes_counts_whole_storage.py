"""tree_nbytes counts the bytes of each tensor's whole storage, so a small view of a big tensor counts the big one."""
FILE = "exercise1_devices.py"
REPLACE = [
    ("return obj.numel() * obj.element_size()", "return obj.untyped_storage().nbytes()"),
]
