"""balanced_sampler always uses class-balanced weights (alpha = 1), ignoring the alpha it is given."""
FILE = "exercise3_samplers.py"
REPLACE = [
    ("weights = class_sampling_weights(labels, alpha)", "weights = class_sampling_weights(labels)"),
]
