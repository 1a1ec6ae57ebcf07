"""autocast_train_step returns the scaled loss (loss * S) instead of the loss itself."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("""        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    return float(loss.detach())""", """        loss = scaler.scale(loss)
        loss.backward()
        scaler.step(optimizer)
        scaler.update()
    return float(loss.detach())"""),
]
