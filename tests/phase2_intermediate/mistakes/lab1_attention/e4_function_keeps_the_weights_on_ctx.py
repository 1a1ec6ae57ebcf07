"""FlashAttention.forward stores the (T_q, T_k) weights as a ctx attribute "for the backward": the memory the whole method exists to avoid."""
FILE = "exercise4_flash.py"
REPLACE = [
    ("        ctx.save_for_backward(q, k, v, out, lse)\n",
     "        ctx.save_for_backward(q, k, v, out, lse)\n        ctx.weights = torch.exp((q @ k.transpose(-2, -1)) * (scale or q.size(-1) ** -0.5) - lse.unsqueeze(-1))\n"),
]
