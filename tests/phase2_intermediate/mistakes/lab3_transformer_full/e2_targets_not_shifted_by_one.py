"""The labels are the decoder input itself: not shifted by one, so the model learns to copy the token it sees."""
FILE = "exercise2_training.py"
REPLACE = [
    ("labels = tgt[:, 1:].clone()", "labels = tgt[:, :-1].clone()"),
]
