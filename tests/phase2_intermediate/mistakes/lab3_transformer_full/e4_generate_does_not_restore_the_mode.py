"""generate puts the model in eval mode and leaves it there: training that continues afterwards runs without dropout."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("""    model.train(was_training)
    return seq""", """    return seq"""),
]
