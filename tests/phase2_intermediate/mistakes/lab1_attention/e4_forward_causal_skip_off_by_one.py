"""The causal forward stops one key block too early: a key block that starts at the query block's last row holds that row's diagonal key."""
FILE = "exercise4_flash.py"
REPLACE = [
    ("if is_causal and k0 > q0 + rows - 1:", "if is_causal and k0 >= q0 + rows - 1:"),
]
