"""predict restores the model's train mode only when the forward pass succeeds (no try/finally)."""
FILE = "exercise3_training.py"
REPLACE = [
    ("    try:\n        out = [model(x[i : i + batch_size].to(device)).argmax(1).cpu() for i in range(0, len(x), batch_size)]\n    finally:\n        model.train(was_training)\n",
     "    out = [model(x[i : i + batch_size].to(device)).argmax(1).cpu() for i in range(0, len(x), batch_size)]\n    model.train(was_training)\n"),
]
