"""mask_tokens takes the labels from the corrupted inputs: the model is asked to predict [MASK] instead of the original token."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("labels = torch.where(picked, input_ids, torch.full_like(input_ids, IGNORE_INDEX))",
     "labels = torch.where(picked, inputs, torch.full_like(input_ids, IGNORE_INDEX))"),
]
