"""document_mask compares ids only: the padding positions (id -1) form one more document and attend to each other."""
FILE = "exercise3_masks.py"
REPLACE = [
    ("same = (doc_ids[:, :, None] == doc_ids[:, None, :]) & (doc_ids[:, :, None] >= 0)", "same = doc_ids[:, :, None] == doc_ids[:, None, :]"),
]
