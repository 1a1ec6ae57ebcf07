"""reliability_bins uses bins [edges[m], edges[m+1]): a confidence exactly on an edge lands in the upper bin instead of the lower."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ("m = torch.bucketize(conf, edges[1:-1], right=False)", "m = torch.bucketize(conf, edges[1:-1], right=True)"),
]
