"""ShardingSampler pads with indices[:pad] once: when the dataset is shorter than the padding the ranks get too few indices."""
FILE = "exercise3_samplers.py"
REPLACE = [
    ("indices += (indices * math.ceil(pad / len(indices)))[:pad]", "indices += indices[:pad]"),
]
