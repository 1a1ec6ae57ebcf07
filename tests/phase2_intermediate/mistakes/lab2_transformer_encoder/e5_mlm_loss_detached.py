"""mlm_loss runs the encoder under torch.no_grad(): the value is right, but the encoder and the position table get no gradient."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("    h = model(inputs, padding_mask)\n    picked = labels != IGNORE_INDEX",
     "    with torch.no_grad():\n        h = model(inputs, padding_mask)\n    picked = labels != IGNORE_INDEX"),
]
