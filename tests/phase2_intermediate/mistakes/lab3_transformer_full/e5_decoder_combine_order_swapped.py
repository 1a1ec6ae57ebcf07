"""Seq2SeqLSTM.decode combines [h; ctx] instead of [ctx; h]: the combine layer's columns are read in the wrong order."""
FILE = "exercise5_lstm.py"
REPLACE = [
    ('self.combine(torch.cat([ctx, h], dim=-1))',
     'self.combine(torch.cat([h, ctx], dim=-1))'),
]
