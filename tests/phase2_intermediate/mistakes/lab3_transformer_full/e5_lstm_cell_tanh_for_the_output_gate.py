"""lstm_cell squashes the output gate with tanh: o in (-1, 1) flips the sign of h instead of gating it."""
FILE = "exercise5_lstm.py"
REPLACE = [
    ('h_new = torch.sigmoid(o) * torch.tanh(c_new)',
     'h_new = torch.tanh(o) * torch.tanh(c_new)'),
]
