"""The causal tiled forward visits every key block, also those entirely after the query block: right values, twice the work."""
FILE = "exercise4_flash.py"
REPLACE = [
    ("""            if is_causal and k0 > q0 + rows - 1:
                break
""", ""),
]
