"""lstm_cell writes c' = f * c + g without the input gate: the candidate is always written in full."""
FILE = "exercise5_lstm.py"
REPLACE = [
    ('torch.sigmoid(i) * torch.tanh(g)',
     'torch.tanh(g)'),
]
