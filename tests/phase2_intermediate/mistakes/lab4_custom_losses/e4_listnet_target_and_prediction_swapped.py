"""listnet_loss computes -sum softmax(scores) log softmax(relevance): the model's distribution is used as the target."""
FILE = "exercise4_backward.py"
REPLACE = [
    ("    target = F.softmax(relevance, dim=1)\n    logp = F.log_softmax(scores, dim=1)\n",
     "    target = F.softmax(scores, dim=1)\n    logp = F.log_softmax(relevance, dim=1)\n"),
]
