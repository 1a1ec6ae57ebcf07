"""mlm_loss divides the summed loss by B*T: the mean is over all positions, not over the picked ones."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("return F.cross_entropy(model.mlm_logits(h[picked]), labels[picked])",
     "return F.cross_entropy(model.mlm_logits(h[picked]), labels[picked], reduction=\"sum\") / labels.numel()"),
]
