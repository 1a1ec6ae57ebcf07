"""evaluate weights the loss by batch size but averages the metrics over batches."""
FILE = 'exercise1_training_loop.py'
REPLACE = [
    ('sums[name] += float(fn(out, y)) * n',
     'sums[name] += float(fn(out, y))'),
    ('    return {name: s / max(count, 1) for name, s in sums.items()}',
     '    batches = sum(1 for _ in loader)\n    return {name: s / max(count, 1) if name == "loss" else s / batches for name, s in sums.items()}'),
]
