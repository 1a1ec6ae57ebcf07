"""The bigram model looks up p(u | w) instead of p(w | u): the counts table is indexed [next, previous]."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("return -logp[eval_ids[:-1], eval_ids[1:]].mean().item()", "return -logp[eval_ids[1:], eval_ids[:-1]].mean().item()"),
]
