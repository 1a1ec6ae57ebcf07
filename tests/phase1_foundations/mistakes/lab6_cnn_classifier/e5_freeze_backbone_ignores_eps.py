"""freeze_backbone builds FrozenBatchNorm2d with its default eps, not the replaced BatchNorm's: a BN with eps=1e-3 normalises differently."""
FILE = "exercise5_transfer.py"
REPLACE = [
    ("FrozenBatchNorm2d(child.num_features, eps=child.eps)", "FrozenBatchNorm2d(child.num_features)"),
]
