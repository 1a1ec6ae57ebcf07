"""in_proj_weight split in the order k, q, v: nn.MultiheadAttention stacks [W_q; W_k; W_v]."""
FILE = "exercise2_multihead.py"
REPLACE = [
    ("w_q, w_k, w_v = self.in_proj_weight.split(e, dim=0)", "w_k, w_q, w_v = self.in_proj_weight.split(e, dim=0)"),
]
