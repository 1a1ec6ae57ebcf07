"""fit records the lr after the epoch's training: a per-step schedule has already moved it."""
FILE = 'exercise1_training_loop.py'
REPLACE = [
    ('        history["lr"].append(float(optimizer.param_groups[0]["lr"]))\n        history["train_loss"].append(train_one_epoch(model, train_loader, loss_fn, optimizer, scheduler, device))',
     '        history["train_loss"].append(train_one_epoch(model, train_loader, loss_fn, optimizer, scheduler, device))\n        history["lr"].append(float(optimizer.param_groups[0]["lr"]))'),
]
