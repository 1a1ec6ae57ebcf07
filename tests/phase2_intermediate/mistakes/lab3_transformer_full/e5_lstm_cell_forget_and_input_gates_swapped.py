"""lstm_cell with the forget and input gates swapped: f scales the candidate g and i the old cell, so the cell forgets what it should keep."""
FILE = "exercise5_lstm.py"
REPLACE = [
    ('c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)',
     'c_new = torch.sigmoid(i) * c + torch.sigmoid(f) * torch.tanh(g)'),
]
