"""freeze_backbone only switches gradients off, never on: a head that was frozen before stays frozen and nothing trains."""
FILE = "exercise5_transfer.py"
REPLACE = [
    ("    head_module.requires_grad_(True)\n", ""),
]
