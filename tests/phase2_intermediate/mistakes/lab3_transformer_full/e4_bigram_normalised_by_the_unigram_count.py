"""The bigram model divides by the unigram count c(u): the last training token has no bigram after it, so its row is normalised by one count too many."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("logp = ((pairs + alpha) / (pairs.sum(1, keepdim=True) + alpha * v)).log()",
     "logp = ((pairs + alpha) / (torch.bincount(train_ids, minlength=v).double()[:, None] + alpha * v)).log()"),
]
