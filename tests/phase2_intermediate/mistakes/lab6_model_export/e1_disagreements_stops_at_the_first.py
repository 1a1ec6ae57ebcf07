"""Returns at the first input that differs: the later ones are never checked."""
FILE = "exercise1_torchscript.py"
REPLACE = [
    ("                bad.append(i)\n", "                return [i]\n"),
]
