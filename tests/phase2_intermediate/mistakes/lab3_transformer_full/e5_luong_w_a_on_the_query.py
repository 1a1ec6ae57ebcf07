"""luong_attention applies W_a to the query: (W_a h_t)^T s_j = h_t^T W_a^T s_j, the transposed score."""
FILE = "exercise5_lstm.py"
REPLACE = [
    ('scores = (w_a(enc_out) @ h_t[:, :, None]).squeeze(-1)',
     'scores = (enc_out @ w_a(h_t)[:, :, None]).squeeze(-1)'),
]
