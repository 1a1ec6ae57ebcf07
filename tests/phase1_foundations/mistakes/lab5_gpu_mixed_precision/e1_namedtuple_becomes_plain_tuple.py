"""A named tuple is rebuilt as a plain tuple: its class and field names are lost."""
FILE = "exercise1_devices.py"
REPLACE = [
    ("        return type(obj)(*(to_device(v, device, non_blocking) for v in obj))",
     "        return tuple(to_device(v, device, non_blocking) for v in obj)"),
]
