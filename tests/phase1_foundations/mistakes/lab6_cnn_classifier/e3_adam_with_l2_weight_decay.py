"""train_classifier uses torch.optim.Adam(weight_decay=...), which adds L2 to the gradient (rescaled by Adam), instead of AdamW's decoupled weight decay."""
FILE = "exercise3_training.py"
REPLACE = [
    ("opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)", "opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)"),
]
