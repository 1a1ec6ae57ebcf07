"""The micro-batch losses are not divided by their number: the summed gradient is k times the mean's."""
FILE = "exercise3_data_parallel.py"
REPLACE = [
    ("loss = loss_fn(model(x), y) / k", "loss = loss_fn(model(x), y)"),
]
