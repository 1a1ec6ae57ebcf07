"""LSTM with lengths keeps the state right but does not zero the outputs past each length: nn.LSTM on a packed sequence gives 0 there."""
FILE = "exercise5_lstm.py"
REPLACE = [
    ('outs.append(h_new * live)',
     'outs.append(h_new)'),
]
