"""accumulate_gradients divides each chunk's loss by the number of chunks: with unequal chunks the mean of means is not the full-batch mean."""
FILE = "exercise3_autograd.py"
REPLACE = [
    ('(loss_fn(w, x, y) * (len(x) / total)).backward()',
     '(loss_fn(w, x, y) / len(chunks)).backward()'),
]
