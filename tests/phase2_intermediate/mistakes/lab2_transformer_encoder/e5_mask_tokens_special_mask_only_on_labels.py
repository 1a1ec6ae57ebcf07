"""mask_tokens removes special positions from the labels only: their inputs are still replaced by [MASK] or random ids."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("""    if special_mask is not None:
        picked &= ~special_mask
""", ""),
    ("labels = torch.where(picked, input_ids, torch.full_like(input_ids, IGNORE_INDEX))",
     """if special_mask is not None:
        picked = picked & ~special_mask
    labels = torch.where(picked, input_ids, torch.full_like(input_ids, IGNORE_INDEX))"""),
]
