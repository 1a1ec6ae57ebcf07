"""accumulated_gradients weights every micro-batch equally (1 / number of chunks), wrong when the last one is smaller."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("(loss_fn(model(xb), yb) * (xb.shape[0] / n_total)).backward()",
     "(loss_fn(model(xb), yb) / -(-n_total // micro_batch)).backward()"),
]
