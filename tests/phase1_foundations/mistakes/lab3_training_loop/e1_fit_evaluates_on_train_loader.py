"""fit evaluates on the training loader instead of the validation loader: 'val_loss' is a training loss."""
FILE = "exercise1_training_loop.py"
REPLACE = [
    ("result = evaluate(model, val_loader, loss_fn, metrics, device)",
     "result = evaluate(model, train_loader, loss_fn, metrics, device)"),
]
