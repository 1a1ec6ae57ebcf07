"""predict applies the training augmentation (random_shift) to the images it evaluates, so test predictions are of moved digits."""
FILE = "exercise3_training.py"
REPLACE = [
    ("out = [model(x[i : i + batch_size].to(device)).argmax(1).cpu()", "out = [model(random_shift(x[i : i + batch_size]).to(device)).argmax(1).cpu()"),
]
