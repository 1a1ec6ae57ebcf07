"""mask_tokens writes [MASK] into input_ids itself (no clone): the caller's batch is corrupted and the labels become [MASK]."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("inputs = input_ids.clone()", "inputs = input_ids"),
]
