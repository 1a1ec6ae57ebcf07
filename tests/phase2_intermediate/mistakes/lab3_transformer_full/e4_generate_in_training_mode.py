"""generate runs the model in whatever mode it is in: in training mode dropout makes greedy decoding random."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("""    model.eval()
    seq = idx""", """    seq = idx"""),
]
