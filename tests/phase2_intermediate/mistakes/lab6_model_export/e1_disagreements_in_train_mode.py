"""The modules are run in the mode they were given: in train mode dropout makes two copies of one model disagree."""
FILE = "exercise1_torchscript.py"
REPLACE = [
    ("    reference.eval()\n    candidate.eval()\n", ""),
]
