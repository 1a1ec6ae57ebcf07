"""luong_attention scores s_j^T h_t without W_a: Luong's "dot" score, not the "general" h_t^T W_a s_j the model asks for."""
FILE = "exercise5_lstm.py"
REPLACE = [
    ('scores = (w_a(enc_out) @ h_t[:, :, None]).squeeze(-1)',
     'scores = (enc_out @ h_t[:, :, None]).squeeze(-1)'),
]
