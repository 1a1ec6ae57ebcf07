"""gelu treats every string other than "tanh" as the exact GELU: a typo such as approximate="Tanh" silently gives the other function instead of a ValueError."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ('if approximate == "none":', 'if approximate != "tanh":'),
]
