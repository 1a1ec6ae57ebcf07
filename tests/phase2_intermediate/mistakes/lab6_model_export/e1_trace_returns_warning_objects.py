"""The warning objects are returned instead of their messages: a list of TracerWarning instances, not of str."""
FILE = "exercise1_torchscript.py"
REPLACE = [
    ("            messages.append(str(w.message))", "            messages.append(w.message)"),
]
