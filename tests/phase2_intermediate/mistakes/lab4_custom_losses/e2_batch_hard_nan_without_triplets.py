"""batch_hard_triplet_loss without the empty-batch case: a batch with no anchor having both a positive and a negative gives nan (a mean over nothing), which poisons the training step."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("""    has = pos.any(dim=1) & neg.any(dim=1)
    if not has.any():
        return d.sum() * 0.0
""", """    has = pos.any(dim=1) & neg.any(dim=1)
"""),
]
