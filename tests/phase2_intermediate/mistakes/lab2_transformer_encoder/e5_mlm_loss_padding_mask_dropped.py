"""mlm_loss runs the model without padding_mask: the picked tokens attend to the padding."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("    h = model(inputs, padding_mask)\n    picked = labels != IGNORE_INDEX", "    h = model(inputs)\n    picked = labels != IGNORE_INDEX"),
]
