"""The last micro-batch runs inside no_sync too: the gradients are never averaged and the ranks drift apart."""
FILE = "exercise3_data_parallel.py"
REPLACE = [
    ('if (j < k - 1 and hasattr(model, "no_sync"))', 'if hasattr(model, "no_sync")'),
]
