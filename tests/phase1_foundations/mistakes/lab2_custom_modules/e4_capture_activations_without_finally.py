"""capture_activations removes its hooks only after a successful forward pass: when the model raises, the hooks stay on the model."""
FILE = "exercise4_hooks.py"
REPLACE = [
    ("""    try:
        model(x)
    finally:
        for h in handles:
            h.remove()
    return captured""",
     """    model(x)
    for h in handles:
        h.remove()
    return captured"""),
]
