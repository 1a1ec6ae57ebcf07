"""freeze_backbone only sets requires_grad=False: BatchNorm in train mode still normalises with batch statistics and updates its running ones."""
FILE = "exercise5_transfer.py"
REPLACE = [
    ("            if not isinstance(child, nn.BatchNorm2d):\n                continue\n", "            if True:\n                continue\n"),
]
