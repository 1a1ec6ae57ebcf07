"""class_sampling_weights returns n_c^(-alpha) without normalising the weights to sum to 1."""
FILE = "exercise3_samplers.py"
REPLACE = [
    ("return per_sample / per_sample.sum()", "return per_sample"),
]
