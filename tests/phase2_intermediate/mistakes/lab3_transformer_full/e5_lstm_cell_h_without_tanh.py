"""lstm_cell outputs h' = o * c' without the tanh: h is unbounded and no longer what nn.LSTMCell returns."""
FILE = "exercise5_lstm.py"
REPLACE = [
    ('h_new = torch.sigmoid(o) * torch.tanh(c_new)',
     'h_new = torch.sigmoid(o) * c_new'),
]
