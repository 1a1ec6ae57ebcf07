"""class_sampling_weights counts in float32: the weights come back float32 and lose precision, not float64."""
FILE = "exercise3_samplers.py"
REPLACE = [
    ("counts = torch.bincount(labels.long()).to(torch.float64)", "counts = torch.bincount(labels.long()).float()"),
]
