"""listnet_loss takes both softmaxes over dim 0: it compares the queries with each other instead of ranking each query's items."""
FILE = "exercise4_backward.py"
REPLACE = [
    ("    target = F.softmax(relevance, dim=1)\n    logp = F.log_softmax(scores, dim=1)\n",
     "    target = F.softmax(relevance, dim=0)\n    logp = F.log_softmax(scores, dim=0)\n"),
]
