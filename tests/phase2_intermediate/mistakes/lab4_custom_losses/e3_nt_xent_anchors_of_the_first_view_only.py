"""nt_xent averages over the N anchors of z1 only: the anchors of z2 are dropped, and the loss is no longer symmetric in the views."""
FILE = "exercise3_infonce.py"
REPLACE = [
    ("    return F.cross_entropy(logits, target)\n    # END SOLUTION\n\n\ndef clip_loss",
     "    return F.cross_entropy(logits[:n], target[:n])\n    # END SOLUTION\n\n\ndef clip_loss"),
]
