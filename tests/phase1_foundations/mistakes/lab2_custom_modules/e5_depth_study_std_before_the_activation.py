"""activation_std_through_depth records the std of h W^T before the activation, not of the activations act(h W^T)."""
FILE = "exercise5_initialization.py"
REPLACE = [
    ("""        h = act(h @ w.T)
        stds.append(h.std().item())""",
     """        z = h @ w.T
        stds.append(z.std().item())
        h = act(z)"""),
]
