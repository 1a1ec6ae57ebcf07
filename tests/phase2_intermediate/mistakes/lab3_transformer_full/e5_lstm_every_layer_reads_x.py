"""Stacked LSTM whose every layer reads the input x: layer k must read the outputs of layer k - 1."""
FILE = "exercise5_lstm.py"
REPLACE = [
    ('lstm_cell(layer_in[:, step], h, c, w_ih, w_hh, b_ih, b_hh)',
     'lstm_cell(x[:, step], h, c, w_ih, w_hh, b_ih, b_hh)'),
]
