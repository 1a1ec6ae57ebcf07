"""info_nce takes the log of the softmax: at a low temperature in float32 a positive's probability underflows to 0 and the loss is inf."""
FILE = "exercise3_infonce.py"
REPLACE = [
    ("    return F.cross_entropy(logits, torch.arange(len(q), device=q.device))\n",
     "    return -torch.softmax(logits, dim=1).diagonal().log().mean()\n"),
]
