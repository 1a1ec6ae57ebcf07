"""document_ids pads with 0: the padding joins the first document instead of getting id -1."""
FILE = "exercise3_masks.py"
REPLACE = [
    ("ids = torch.cat([ids, ids.new_full((t - ids.numel(),), -1)])", "ids = torch.cat([ids, ids.new_full((t - ids.numel(),), 0)])"),
]
