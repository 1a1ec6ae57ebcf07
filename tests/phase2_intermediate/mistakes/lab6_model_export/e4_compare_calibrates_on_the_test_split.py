"""Static calibration on test inputs: the test set then shapes the model it is meant to judge."""
FILE = "exercise4_compress.py"
REPLACE = [
    ("rows = torch.randperm(len(train_ids),", "rows = torch.randperm(len(test_ids),"),
    ("train_ids[rows], batch_size=32)", "test_ids[rows], batch_size=32)"),
]
