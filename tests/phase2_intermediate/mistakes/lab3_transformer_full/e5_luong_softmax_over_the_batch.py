"""luong_attention takes the softmax over dim 0, the batch: the weights of one decoder state no longer sum to 1 over its source."""
FILE = "exercise5_lstm.py"
REPLACE = [
    ('weights = torch.softmax(scores, dim=-1)',
     'weights = torch.softmax(scores, dim=0)'),
]
