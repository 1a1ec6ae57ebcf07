"""FlashAttention.forward also saves the (T_q, T_k) scores for the backward: the O(T^2) memory the tiling was meant to avoid."""
FILE = "exercise4_flash.py"
REPLACE = [
    ("ctx.save_for_backward(q, k, v, out, lse)", "ctx.save_for_backward(q, k, v, out, lse, q @ k.transpose(-2, -1))"),
    ("q, k, v, out, lse = ctx.saved_tensors", "q, k, v, out, lse, _ = ctx.saved_tensors"),
]
