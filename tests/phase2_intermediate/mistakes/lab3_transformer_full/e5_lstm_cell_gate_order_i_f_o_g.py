"""lstm_cell reads the gate blocks as i, f, o, g: PyTorch's weight rows are ordered i, f, g, o, so g and o trade places."""
FILE = "exercise5_lstm.py"
REPLACE = [
    ('i, f, g, o = gates.chunk(4, dim=-1)',
     'i, f, o, g = gates.chunk(4, dim=-1)'),
]
