"""mask_tokens labels the unpicked positions 0 instead of -100: cross_entropy then trains every unpicked position to predict token 0."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("labels = torch.where(picked, input_ids, torch.full_like(input_ids, IGNORE_INDEX))",
     "labels = torch.where(picked, input_ids, torch.zeros_like(input_ids))"),
]
