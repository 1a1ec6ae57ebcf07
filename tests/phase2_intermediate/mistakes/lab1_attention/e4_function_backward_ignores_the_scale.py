"""FlashAttention.backward does not pass the forward's scale on: with a non-default scale the gradients use 1/sqrt(D) instead."""
FILE = "exercise4_flash.py"
REPLACE = [
    ("dq, dk, dv = flash_attention_backward(q, k, v, out, lse, grad_out, ctx.is_causal, ctx.scale,",
     "dq, dk, dv = flash_attention_backward(q, k, v, out, lse, grad_out, ctx.is_causal, None,"),
]
