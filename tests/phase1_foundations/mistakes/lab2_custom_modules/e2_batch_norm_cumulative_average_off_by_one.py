"""BatchNorm1d with momentum=None uses 1 / (num_batches_tracked + 1) after incrementing the counter: the cumulative average is off by one batch."""
FILE = "exercise2_normalization_layers.py"
REPLACE = [
    ("m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)",
     "m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked + 1)"),
]
