"""generate picks the next token from the logits of the FIRST position instead of the last one."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("logits = model(step_input if use_cache else seq, cache=cache)[0][:, -1]",
     "logits = model(step_input if use_cache else seq, cache=cache)[0][:, 0]"),
]
